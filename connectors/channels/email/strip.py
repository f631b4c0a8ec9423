"""Cut quoted history and signatures from a customer's email, in Dutch, French and English.

The bot must read only what the customer wrote this time: replies carry the whole thread below
("Op ... schreef ...:", "Le ... a écrit :", Outlook header blocks, "> " lines) and a signature
("-- ", "Verzonden vanaf mijn iPhone", "Met vriendelijke groet", "Cordialement"). Rules are
line-based and conservative: when cutting leaves nothing, the caller keeps the full text.
"""
from __future__ import annotations

import re

# "Op ma 3 jan. 2024 om 10:00 schreef Jan <jan@x.nl>:", "Le lun. 3 janv. 2024 à 10:00, Jean a écrit :",
# "On Mon, Jan 3, 2024 at 10:00 AM Jan <jan@x.com> wrote:", "Am ... schrieb ...:" (German clients).
_ATTRIBUTION = re.compile(
    r"^\s*(op|on|le|am|el|il)\b.{0,300}\b(schreef|wrote|a\s+écrit|a\s+ecrit|écrit|ecrit|schrieb|"
    r"heeft\s+.{0,40}geschreven|escribió|ha\s+scritto)\s*(.{0,80})?:\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(original message|oorspronkelijk bericht|origineel bericht|message d'origine|"
    r"message original|forwarded message|doorgestuurd bericht|message transféré|"
    r"ursprüngliche nachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
# Outlook's quoted header block: "Van: ..." / "From: ..." / "De : ..." followed by a date or send line.
_HEADER_FROM = re.compile(r"^\s*\*?(van|from|de|von)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(verzonden|sent|envoyé|envoye|date|datum|gesendet|aan|to|à|a|onderwerp|subject|objet|"
    r"cc)\s*\*?\s*:", re.IGNORECASE)
_SIG_DASHES = re.compile(r"^(--|-- |__)\s*$")
_MOBILE = re.compile(
    r"^\s*(verzonden|verstuurd|gestuurd)\s+(vanaf|van|met|via)\s+(mijn\s+)?.{0,40}$|"
    r"^\s*envoy[ée]\s+(de|depuis|à partir de|a partir de|avec)\s+(mon\s+)?.{0,40}$|"
    r"^\s*sent\s+(from|with|via)\s+(my\s+)?.{0,40}$|"
    r"^\s*(get|download|télécharger|downloaden)\s+outlook\s+(for|pour|voor)\s+.{0,20}$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^\s*(met\s+)?(vriendelijke|hartelijke|beste)\s+groet(en)?\b|^\s*mvg\b|^\s*groet(en|jes)?\s*[,.!]?\s*$|"
    r"^\s*(bien\s+)?cordialement\b|^\s*bien\s+à\s+vous\b|^\s*bien\s+a\s+vous\b|"
    r"^\s*(sinc[èe]res\s+)?salutations\b|^\s*meilleures\s+salutations\b|^\s*bonne\s+journée\s*[,.!]?\s*$|"
    r"^\s*(kind|best|warm)\s+regards\b|^\s*regards\s*[,.]?\s*$|^\s*cheers\s*[,.]?\s*$|"
    r"^\s*thanks\s+(and|&)\s+regards\b",
    re.IGNORECASE,
)
# A closing line counts as the start of the signature only if little follows it (name, company, phone).
_MAX_LINES_AFTER_CLOSING = 12


def _history_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, or None."""
    for i, line in enumerate(lines):
        joined = line if i + 1 >= len(lines) else line + " " + lines[i + 1]
        # Attribution lines always carry a date or time; that keeps "Le colis ... a écrit :" prose.
        if _ATTRIBUTION.match(line) and re.search(r"\d", line):
            return i
        # Gmail wraps long attribution lines: "Op ... schreef Jan <\njan@x.nl>:"
        if (re.match(r"^\s*(op|on|le|am)\b", line, re.I) and re.search(r"\d", joined)
                and _ATTRIBUTION.match(joined)):
            return i
        if _SEPARATOR.match(line):
            return i
        if _UNDERSCORES.match(line) and any(_HEADER_FROM.match(x) for x in lines[i + 1:i + 3]):
            return i
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(x) for x in lines[i + 1:i + 5]):
            return i
    return None


def _signature_start(lines: list[str]) -> int | None:
    """Index of the first signature line, or None."""
    for i, line in enumerate(lines):
        if _SIG_DASHES.match(line) or _MOBILE.match(line):
            return i
        if _CLOSING.match(line) and len(line.strip()) <= 60:
            rest = [x for x in lines[i + 1:] if x.strip()]
            if len(rest) <= _MAX_LINES_AFTER_CLOSING:
                return i
    return None


def strip_reply(text: str) -> str:
    """What the customer wrote this time: without quoted history, '>' lines and signature.

    Returns "" when nothing is left; the caller then falls back to the full text rather than lose it.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    if cut is not None:
        lines = lines[:cut]
    lines = [x for x in lines if not x.lstrip().startswith(">")]
    cut = _signature_start(lines)
    if cut is not None:
        lines = lines[:cut]
    out = "\n".join(x.rstrip() for x in lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
