"""Keep personal data out of logs: email addresses, phone numbers, plates, order numbers.

Why a record factory and not a handler filter: handlers are set up by whoever runs the process
(aiohttp, rasa_sdk's Sanic, click, pytest), some after we are imported; a factory sees every record
when it is made, whatever logger and handler it goes to. The message is rendered once
(`msg % args`), redacted, and frozen (args emptied); an exception's traceback text is redacted too.

Patterns only catch what looks like personal data; code must still never log message text (the
gateway and the actions log ids and counts, not what customers wrote). Stdlib only: Rasa's own
venv can import it too.
"""
from __future__ import annotations

import logging
import re
import traceback

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# international (+32 / 0032 ...) or a national number starting with 0 (BE, NL, FR): 9-15 digits
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)\d(?:[\s./-]?\d){7,14}|0\d(?:[\s./-]?\d){7,9})(?!\w)")
ORDER_NUMBER = re.compile(r"(?<![\w.:-])#?\d{6,14}(?![\w])")

# Plate shapes (actions/parsing.py): 9 = digit, X = letter; typed with dashes, dots, or nothing.
_SHAPES = ("9-XXX-999", "XXX-999", "999-XXX", "XX-999-XX", "XX-99-99", "99-99-XX", "99-XX-99", "XX-99-XX",
           "XX-XX-99", "99-XX-XX", "99-XXX-9", "9-XXX-99", "XX-999-X", "X-999-XX", "XXX-99-X", "X-99-XXX",
           "9-XX-999", "999-XX-9")


def _shape_regex(shape: str) -> str:
    parts = ["\\d{%d}" % len(s) if s[0] == "9" else "[A-Za-z]{%d}" % len(s) for s in shape.split("-")]
    separated = "[-.]".join(parts)
    # Without separators only shapes of three runs (1ABC234), so "sha256" or "utf8" stay readable.
    compact = "".join(parts) if len(parts) == 3 and parts[0][1] != parts[1][1] else None
    return separated if compact is None else f"{separated}|{compact}"


PLATE = re.compile(r"(?<![\w.-])(?:" + "|".join(_shape_regex(s) for s in _SHAPES) + r")(?![\w-])")

REPLACEMENTS = ((EMAIL, "[email]"), (PHONE, "[phone]"), (PLATE, "[plate]"), (ORDER_NUMBER, "[number]"))


def redact(text: str) -> str:
    """`text` with email addresses, phone numbers, plates and long numbers replaced by markers."""
    if not text:
        return text
    for pattern, marker in REPLACEMENTS:
        text = pattern.sub(marker, text)
    return text


_installed = False


def install() -> None:
    """Redact every log record made in this process from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it itself later
            return record
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
