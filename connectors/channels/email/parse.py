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
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from html import unescape

from connectors.channels.email.authres import sender_auth
from connectors.channels.email.strip import strip_reply

MAX_TEXT = 20_000  # characters kept of one body; the rest of a huge mail is noted, not stored
# The stdlib MIME parser recurses once per nested multipart: a mail with ~1000 of them raises
# RecursionError. Real mail declares a handful of boundaries; beyond this the body is not read.
MAX_MULTIPARTS = 50
MAX_HTML = 2_000_000  # characters of an HTML body turned into text; MAX_TEXT is kept anyway
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
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


# One token of HTML: a comment (unfinished: to the end), CDATA, a declaration, or a start/end tag.
# Attributes stop at the next "<" as well as ">": an unfinished tag then costs the distance to the
# next "<", never a scan to the end of the document per tag (that is what makes parsers quadratic).
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<[!?][^<>]*>|<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>",
    re.DOTALL,
)
_SPACE = re.compile(r"[ \t\r\n]+")
_ANY_TAG = re.compile(r"<[^<>]*>")
MAX_TAGS = 20_000  # tags read as structure; real mail has a few thousand, the rest is stripped flat


class _HTMLText:
    """HTML -> readable plain text; drops scripts, styles and quoted blocks (blockquote, gmail_quote).

    A small tokenizer instead of html.parser: on hostile markup (1 MB of stray end tags,
    unfinished tags or comments) html.parser plus a stack scan took minutes; this is linear.
    """

    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
    _SKIP = {"script", "style", "head", "title"}
    _RAW = ("script", "style")  # their content is not markup: jump to the end tag
    _VOID = {"br", "img", "hr", "meta", "link", "input"}
    _QUOTE_MARKERS = ("gmail_quote", "moz-cite-prefix", "divRplyFwdMsg", "appendonsend",
                      "mail-editor-reference-message-container")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []  # (tag, started a skipped block)
        self.open: dict[str, int] = {}  # tag -> how often it is on the stack
        self.truncated = False

    def feed(self, html: str) -> None:
        pos, size, tags = 0, len(html), 0
        while pos < size:
            match = _TOKEN.search(html, pos)
            if match is None:
                self.handle_data(html[pos:])
                return
            tags += 1
            if tags > MAX_TAGS:  # not a mail a person wrote: keep its text, drop the rest of the markup
                self.truncated = True
                self.handle_data(_ANY_TAG.sub(" ", html[match.start():]))
                return
            if match.start() > pos:
                self.handle_data(html[pos:match.start()])
            pos = match.end()
            name = match.group(2)
            if name is None:
                continue  # comment, CDATA, doctype, processing instruction
            name = name.lower()
            if match.group(1):
                self.handle_endtag(name)
                continue
            attrs = match.group(3)
            self.handle_starttag(name, attrs)
            if attrs.rstrip().endswith("/") and name not in self._VOID:
                self.handle_endtag(name)
            elif name in self._RAW:
                close = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(html, pos)
                pos = close.end() if close else size
                self.handle_endtag(name)

    def handle_starttag(self, tag: str, attrs: str) -> None:
        skip = tag in self._SKIP or tag == "blockquote" or (
            len(attrs) > 8 and any(marker in attrs for marker in self._QUOTE_MARKERS))
        if tag not in self._VOID:
            self.stack.append((tag, skip))
            self.open[tag] = self.open.get(tag, 0) + 1
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
        # An end tag with no open match is ignored without scanning the stack: scanning made
        # thousands of stray end tags under thousands of open ones quadratic (minutes per mail).
        # Every entry is pushed and popped once, so the whole document stays linear.
        if self.open.get(tag):
            while self.stack:
                name, skipped = self.stack.pop()
                self.open[name] -= 1
                if skipped:
                    self.skip_depth -= 1
                if name == tag:
                    break
        if tag in self._BLOCK:
            self._newline()

    def _newline(self) -> None:
        """Start a new line unless we are at one already (nested divs must not stack blank lines)."""
        if self.parts and self.parts[-1] == "\n":
            return
        text = "".join(self.parts[-3:])
        if text and not text.rstrip(" ").endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth == 0:
            self.parts.append(_SPACE.sub(" ", unescape(data)))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, in time linear in its length (hostile markup included)."""
    html = html[:MAX_HTML]
    parser = _HTMLText()
    try:
        parser.feed(html)
    except Exception:  # never lose the mail over markup
        return _ANY_TAG.sub(" ", unescape(html))
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
    `authserv_id`: whose Authentication-Results to believe (EMAIL_AUTHSERV_ID; default topmost).

    A mail the MIME parser cannot take (thousands of nested multiparts, or anything else that
    makes it raise) is read for its headers only, with the reason in `problems`: it is still
    stored, marked seen and shown to an agent, and it never stops the mails after it.
    """
    boundaries = len(_BOUNDARY.findall(raw))
    if boundaries > MAX_MULTIPARTS:
        return _headers_only(raw, truncated, authserv_id,
                             f"{boundaries} MIME multiparts (limit {MAX_MULTIPARTS}): body not read")
    try:
        return _parse(raw, truncated, authserv_id)
    except Exception as exc:  # RecursionError included: the parser recurses per MIME level
        return _headers_only(raw, truncated, authserv_id, f"unreadable MIME structure ({type(exc).__name__}): body not read")


def _headers_only(raw: bytes, truncated: bool, authserv_id: str | None, note: str) -> ParsedMail:
    try:
        return _parse(raw, truncated, authserv_id, read_body=False, note=note)
    except Exception as exc:  # not even the headers: keep the mail with a derived id
        return ParsedMail(
            message_id=f"<{hashlib.sha256(raw).hexdigest()[:40]}@helpdesk.invalid>", from_addr="",
            from_name=None, subject="", in_reply_to=None, references=[], text="", full_text="",
            problems=[note, f"unreadable headers ({type(exc).__name__})", "no usable From address"],
        )


def _parse(raw: bytes, truncated: bool, authserv_id: str | None, read_body: bool = True,
           note: str | None = None) -> ParsedMail:
    problems: list[str] = ["message truncated: too large"] if truncated else []
    if note:
        problems.append(note)
    if not read_body:
        msg = BytesHeaderParser().parsebytes(raw)
    else:
        try:
            msg = email.message_from_bytes(raw)
        except RecursionError:
            raise
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

    plain, html, attachments = _bodies(msg, problems) if read_body else (None, None, [])
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
