"""Raw RFC 5322 bytes -> what the conversation needs: sender, subject, thread ids, plain text.

Mail in the wild is messy: iso-8859-1 declared but windows-1252 sent, unknown charsets, 8-bit
headers, missing Message-IDs, HTML-only bodies. Nothing here raises on bad input: what cannot be
read is replaced and noted in `problems`, so a message is stored with what could be read and never
dropped silently.
"""
from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html import unescape
from html.parser import HTMLParser

from connectors.channels.email.authres import sender_auth
from connectors.channels.email.strip import strip_reply

MAX_TEXT = 20_000  # characters kept of one body; the rest of a huge mail is noted, not stored
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class ParsedMail:
    message_id: str
    from_addr: str
    from_name: str | None
    subject: str
    in_reply_to: str | None
    references: list[str]
    text: str  # what the customer wrote this time (quotes and signature cut)
    full_text: str  # the whole body as text
    attachments: list[dict] = field(default_factory=list)
    auto_generated: bool = False  # out-of-office, bounce, list mail: never answer automatically
    problems: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # To, Delivered-To, X-Original-To, Cc (in that order)
    sender_auth: dict = field(default_factory=dict)  # SPF/DKIM/DMARC verdict for the From domain (authres.py)

    @property
    def thread_ids(self) -> list[str]:
        """References then In-Reply-To, oldest first, without repeats: the thread's ancestry."""
        ids = list(self.references)
        if self.in_reply_to and self.in_reply_to not in ids:
            ids.append(self.in_reply_to)
        return ids


def decode_bytes(data: bytes, charset: str | None, problems: list[str] | None = None) -> str:
    """Bytes in a declared charset -> str, falling back instead of failing.

    iso-8859-1 is read as windows-1252 (a superset, what mail clients really send, like browsers
    do); an unknown or wrong charset falls back to UTF-8, then windows-1252 with replacement.
    """
    cs = (charset or "").strip().strip('"').lower() or None
    if cs in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"):
        cs = "windows-1252"
    for candidate in [c for c in (cs, "utf-8") if c]:
        try:
            return data.decode(candidate)
        except LookupError:
            if problems is not None:
                problems.append(f"unknown charset {cs!r}")
        except UnicodeDecodeError:
            if problems is not None and candidate == cs:
                problems.append(f"bytes not valid in declared charset {cs!r}")
    return data.decode("windows-1252", errors="replace")


def decode_header_value(value: object, problems: list[str] | None = None) -> str:
    """An encoded-word header ("=?iso-8859-1?Q?...?=") -> text, tolerant of broken encodings."""
    if value is None:
        return ""
    if not isinstance(value, str):
        # The parser hands raw 8-bit headers over as Header objects in charset "unknown-8bit".
        try:
            return _join_decoded(decode_header(value), problems)
        except Exception:
            value = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        # Raw 8-bit bytes in a header (not encoded-words): the parser kept them as surrogates.
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None, problems)
    try:
        pieces = decode_header(value)
    except Exception:
        if problems is not None:
            problems.append("undecodable header")
        return value
    return _join_decoded(pieces, problems)


def _join_decoded(pieces: list, problems: list[str] | None) -> str:
    out = []
    for chunk, cs in pieces:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, None if cs == "unknown-8bit" else cs, problems))
        else:
            out.append(chunk)
    return re.sub(r"\s+", " ", "".join(out)).strip()


class _HTMLText(HTMLParser):
    """HTML -> readable plain text; drops scripts, styles and quoted blocks (blockquote, gmail_quote)."""

    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []  # (tag, started a skipped block)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        quoted = (
            tag == "blockquote"
            or "gmail_quote" in a.get("class", "")
            or "moz-cite-prefix" in a.get("class", "")
            or a.get("id", "") in ("divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container")
        )
        skip = tag in self._SKIP or quoted
        if tag not in ("br", "img", "hr", "meta", "link", "input"):
            self.stack.append((tag, skip))
            if skip:
                self.skip_depth += 1
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self._newline()
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching tag; tolerate unclosed children (HTML mail often is broken).
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _, skipped in self.stack[i:]:
                    if skipped:
                        self.skip_depth -= 1
                del self.stack[i:]
                break
        if tag in self._BLOCK:
            self._newline()

    def _newline(self) -> None:
        """Start a new line unless we are at one already (nested divs must not stack blank lines)."""
        text = "".join(self.parts[-3:])
        if text and not text.rstrip(" ").endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth == 0:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient, but never lose the mail over markup
        return re.sub(r"<[^>]+>", " ", unescape(html))
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message, problems: list[str]) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        problems.append("undecodable transfer encoding")
        raw = part.get_payload()
        payload = raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
    if payload is None:
        payload = b""
    return decode_bytes(payload, part.get_content_charset(), problems)


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition") or "").lower()
    return disposition.startswith("attachment") or (
        bool(part.get_filename()) and not part.get_content_type().startswith("text/")
    )


def _bodies(msg: Message, problems: list[str]) -> tuple[str | None, str | None, list[dict]]:
    """First text/plain body, first text/html body, and the attachments' descriptions."""
    plain = html = None
    attachments: list[dict] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if _is_attachment(part) or not ctype.startswith("text/"):
            if ctype in ("message/delivery-status",):
                continue
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:
                data = b""
                problems.append("undecodable attachment")
            attachments.append({
                "filename": decode_header_value(part.get_filename() or "", problems) or None,
                "content_type": ctype,
                "size": len(data),
                "data": data,  # the adapter keeps it under MEDIA_DIR and drops it from the dict
            })
            continue
        if ctype == "text/plain" and plain is None:
            plain = _part_text(part, problems)
        elif ctype == "text/html" and html is None:
            html = _part_text(part, problems)
    return plain, html, attachments


def _msgids(value: str) -> list[str]:
    found = _MSGID.findall(value or "")
    if not found and value and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]  # some clients forget the angle brackets
    return found


_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-Loop", "List-Id",
                 "List-Unsubscribe", "List-Post", "X-Mailing-List", "Feedback-ID")


def _auto_generated(msg: Message, from_addr: str) -> bool:
    """Mail we must never answer automatically (RFC 3834, 2369), or we loop with another robot:
    auto-replies, bounces (empty Return-Path, delivery reports), list and bulk mail."""
    auto = str(msg.get("Auto-Submitted") or "no").strip().lower()
    precedence = str(msg.get("Precedence") or "").strip().lower()
    return_path = str(msg.get("Return-Path") or "").strip()
    local = from_addr.split("@", 1)[0]
    return (
        auto != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or any(msg.get(name) for name in _AUTO_HEADERS)
        or return_path.replace(" ", "") == "<>"
        or msg.get_content_type() == "multipart/report"
        or local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply")
    )


def parse_mail(raw: bytes, truncated: bool = False, authserv_id: str | None = None) -> ParsedMail:
    """Parse one mail; never raises. `truncated`: only the start of a huge mail was fetched.
    `authserv_id`: whose Authentication-Results to believe (EMAIL_AUTHSERV_ID; default topmost)."""
    problems: list[str] = ["message truncated: too large"] if truncated else []
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # pragma: no cover - the compat32 parser is very lenient
        problems.append(f"unparsable message: {exc}")
        msg = email.message_from_string(raw.decode("utf-8", "replace"))
    for defect in getattr(msg, "defects", [])[:5]:
        problems.append(f"defect: {type(defect).__name__}")

    own = _msgids(str(msg.get("Message-ID") or ""))
    message_id = own[0] if own else f"<{hashlib.sha256(raw).hexdigest()[:40]}@helpdesk.invalid>"
    if not own:
        problems.append("no Message-ID; derived one from the content")

    name, addr = parseaddr(decode_header_value(msg.get("From"), problems))
    if not addr:
        reply_to = getaddresses([str(msg.get("Reply-To") or "")])
        addr = reply_to[0][1] if reply_to else ""
    addr = addr.strip().lower()
    if not addr or "@" not in addr:
        problems.append("no usable From address")

    recipients: list[str] = []
    for header in ("To", "Delivered-To", "X-Original-To", "Cc"):
        for value in msg.get_all(header) or []:
            for _name, rcpt in getaddresses([decode_header_value(value, problems)]):
                rcpt = rcpt.strip().lower()
                if "@" in rcpt and rcpt not in recipients:
                    recipients.append(rcpt)

    subject = decode_header_value(msg.get("Subject"), problems)
    refs = _msgids(str(msg.get("References") or ""))
    irt = _msgids(str(msg.get("In-Reply-To") or ""))

    plain, html, attachments = _bodies(msg, problems)
    if plain is not None and plain.strip():
        full = plain
    elif html is not None:
        full = html_to_text(html)
    else:
        full = plain or ""
    full = full.replace("\r\n", "\n").replace("\x00", "")
    if len(full) > MAX_TEXT:
        problems.append(f"body cut at {MAX_TEXT} characters")
        full = full[:MAX_TEXT]
    text = strip_reply(full) or full.strip()
    return ParsedMail(
        message_id=message_id,
        from_addr=addr,
        from_name=name.strip() or None,
        subject=subject,
        in_reply_to=irt[0] if irt else None,
        references=refs,
        text=text,
        full_text=full.strip(),
        attachments=attachments,
        auto_generated=_auto_generated(msg, addr),
        problems=problems,
        recipients=recipients,
        sender_auth=_sender_auth(msg, addr, authserv_id, problems),
    )


def _sender_auth(msg: Message, addr: str, authserv_id: str | None, problems: list[str]) -> dict:
    try:
        return sender_auth(msg, addr, authserv_id)
    except Exception:  # a header we can't read makes the verdict unknown, never the mail lost
        problems.append("unreadable Authentication-Results")
        return {"verdict": "none", "domain": None}
