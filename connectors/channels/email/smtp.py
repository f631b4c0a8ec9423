"""Outbound email: build a threaded UTF-8 reply and hand it to SMTP with smtplib (blocking: use a thread).

Threading headers make the customer's mail client file our answer under their mail: In-Reply-To is
the mail we answer, References the thread's ids. Our Message-ID carries the conversation id, so a
reply to it finds its conversation even when a client drops the rest of References.
"""
from __future__ import annotations

import html
import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from helpdesk import wording

TIMEOUT = 30.0
_OWN_ID = re.compile(r"^<hd\.([0-9a-f]{32})\.[0-9a-f]+@[^>]+>$")
_REPLY_PREFIX = re.compile(r"^\s*(re|antw|aw|réf|ref|sv|vs)\s*(\[\d+\])?\s*:", re.IGNORECASE)
MAX_REFERENCES = 20


class SmtpSendError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass
class SmtpSettings:
    host: str
    port: int
    from_addr: str  # "Shop support <support@shop.example>" or a bare address
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465)


def new_message_id(conversation_id: str, from_addr: str, outbox_id: int | None = None) -> str:
    """<hd.{conversation id}.{outbox id or random}@{our domain}>: recognisably ours, no personal data.

    With the outbox message's id the Message-ID is the same on every attempt: if the gateway dies
    after the SMTP server took a mail but before it was marked sent, the resend carries the same
    Message-ID and mail systems show it once instead of twice."""
    domain = parseaddr(from_addr)[1].rpartition("@")[2] or "helpdesk.invalid"
    unique = f"{int(outbox_id):x}" if outbox_id is not None else secrets.token_hex(8)
    return f"<hd.{conversation_id}.{unique}@{domain}>"


def conversation_of(message_id: str) -> str | None:
    """The conversation id inside one of our own Message-IDs, else None."""
    m = _OWN_ID.match(message_id.strip())
    return m.group(1) if m else None


def reply_subject(subject: str, language: str | None) -> str:
    """'Re: <original>' once, never 'Re: Re: ...'; a fallback when the customer left it empty."""
    subject = (subject or "").strip()
    if not subject:
        subject = (wording.text("email_subject", language) if language in wording.LANGS
                   else wording.either("email_subject"))
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def build_reply(
    *,
    from_addr: str,
    to_addr: str,
    subject: str,
    text: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
    language: str | None,
) -> EmailMessage:
    """One UTF-8 reply with the thread's headers: multipart/alternative, plain text + simple HTML."""
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = reply_subject(subject, language)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [r for i, r in enumerate(references) if r and r not in references[:i]]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        # Keep the root and the newest ids when a long thread would make the header huge.
        if len(refs) > MAX_REFERENCES:
            refs = refs[:1] + refs[-(MAX_REFERENCES - 1):]
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer us
    msg.set_content(text, charset="utf-8")  # (set_content drops Content-* headers: set them after)
    msg.add_alternative(text_to_html(text, language), subtype="html", charset="utf-8")
    if language in ("nl", "fr"):
        msg["Content-Language"] = language
    return msg


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def text_to_html(text: str, language: str | None = None) -> str:
    """The plain text as a minimal HTML page: paragraphs, line breaks, links. Everything escaped,
    no remote images or styles a mail client would block; the text part stays the reference."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = []
    for para in paragraphs:
        escaped = html.escape(para.strip())
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        body.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    lang = f' lang="{language}"' if language in ("nl", "fr") else ""
    return (f"<!DOCTYPE html>\n<html{lang}><head><meta charset=\"utf-8\"></head>\n"
            f"<body style=\"font-family: sans-serif; line-height: 1.4\">\n" + "\n".join(body) + "\n</body></html>\n")


def send(cfg: SmtpSettings, msg: EmailMessage) -> None:
    """Deliver over SMTP; SmtpSendError(retryable) on failure (4xx/connection: retry; 5xx: no)."""
    try:
        if cfg.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(cfg.host, cfg.port, timeout=TIMEOUT)
        with server:
            server.ehlo()
            if cfg.starttls and not cfg.ssl:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if cfg.user:
                server.login(cfg.user, cfg.password or "")
            envelope_from = parseaddr(cfg.from_addr)[1] or cfg.from_addr
            server.send_message(msg, from_addr=envelope_from)
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpSendError(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}", False) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [c for c, _ in exc.recipients.values()]
        raise SmtpSendError(f"SMTP refused recipient: {exc.recipients!r}", all(400 <= c < 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise SmtpSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", 400 <= exc.smtp_code < 500) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise SmtpSendError(f"SMTP server lacks a feature we need: {exc}", False) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpSendError(f"SMTP {cfg.host}:{cfg.port} unreachable: {exc}", True) from exc
