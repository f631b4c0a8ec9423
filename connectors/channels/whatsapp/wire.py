"""Twilio's WhatsApp wire format: webhook URL, signature check, form fields, TwiML, text splitting.

Pure functions with no app state, so the WhatsApp adapter stays a thin translator and every rule
here is unit-testable without a server.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from twilio.request_validator import RequestValidator

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY = 1600  # Twilio rejects longer bodies (error 21617)
MAX_MEDIA = 10  # WhatsApp allows at most 10 media items per message

_NUMBER = re.compile(r"^\+?[0-9]{5,20}$")
# Twilio's delivery states, in the order they happen; ours is a subset (see CONTRACTS.md).
STATUS_MAP = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
}


class WebhookError(ValueError):
    """A webhook body that cannot be turned into a message; the text goes back in the 400."""


@dataclass
class Inbound:
    """One WhatsApp message as the conversation flow needs it."""

    message_sid: str
    identity: str  # E.164 number without the "whatsapp:" prefix
    text: str
    name: str | None = None
    media: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def public_url(
    public_base: str | None,
    path_qs: str,
    headers: Mapping[str, str],
    request_base: str,
    trust_proxy: bool,
) -> str:
    """The URL Twilio signed: what the customer-facing address of this request was.

    Twilio signs the URL it called, which is the public one, not what aiohttp sees behind a proxy.
    Forwarded headers are only believed when the operator said a proxy sets them
    (TRUST_PROXY_HEADERS=1): anyone can send them otherwise.
    """
    if trust_proxy and headers.get("X-Forwarded-Host"):
        proto = headers.get("X-Forwarded-Proto", "https").split(",")[0].strip() or "https"
        host = headers["X-Forwarded-Host"].split(",")[0].strip()
        base = f"{proto}://{host}"
    elif public_base:
        base = public_base
    else:
        base = request_base
    return base.rstrip("/") + path_qs


def signature_ok(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    """Check X-Twilio-Signature with the twilio library (it also tries the URL with/without port)."""
    if not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def strip_prefix(address: str) -> str:
    """'whatsapp:+32470...' -> '+32470...' (the contact identity)."""
    return address.split(":", 1)[1] if address.lower().startswith("whatsapp:") else address


def parse_inbound(form: Mapping[str, str]) -> Inbound:
    """Turn Twilio's incoming-message form into an Inbound, or raise WebhookError saying why not."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    if not sid:
        raise WebhookError("missing MessageSid")
    sender = (form.get("From") or "").strip()
    if not sender:
        raise WebhookError("missing From")
    identity = strip_prefix(sender)
    if not _NUMBER.match(identity):
        raise WebhookError(f"From is not a phone number: {sender[:40]!r}")
    if not identity.startswith("+"):
        identity = "+" + identity
    text = (form.get("Body") or "").strip()
    try:
        num_media = int(form.get("NumMedia") or 0)
    except ValueError:
        raise WebhookError(f"NumMedia is not a number: {form.get('NumMedia')[:20]!r}") from None
    if num_media < 0:
        raise WebhookError("NumMedia is negative")
    media = []
    for i in range(min(num_media, MAX_MEDIA)):
        url = form.get(f"MediaUrl{i}")
        if url:
            media.append({"url": url, "content_type": form.get(f"MediaContentType{i}") or ""})
    lat, lon = form.get("Latitude"), form.get("Longitude")
    if lat and lon:
        media.append(
            {
                "url": f"https://maps.google.com/?q={lat},{lon}",
                "content_type": "location",
                "label": form.get("Label") or form.get("Address") or "",
            }
        )
    if not text and not media:
        raise WebhookError("empty message: no Body and no media")
    meta = {k: form[k] for k in ("To", "WaId", "AccountSid", "ButtonPayload", "ButtonText") if form.get(k)}
    name = (form.get("ProfileName") or "").strip() or None
    return Inbound(message_sid=sid, identity=identity, text=text, name=name, media=media, meta=meta)


def parse_status(form: Mapping[str, str]) -> tuple[str, str, dict]:
    """Status callback -> (MessageSid, our status, extra); WebhookError when unusable."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid:
        raise WebhookError("missing MessageSid")
    if not raw:
        raise WebhookError("missing MessageStatus")
    if raw not in STATUS_MAP:
        raise WebhookError(f"unknown MessageStatus {raw[:30]!r}")
    extra = {k: form[k] for k in ("ErrorCode", "ErrorMessage") if form.get(k)}
    return sid, STATUS_MAP[raw], extra


def split_text(text: str, limit: int = MAX_BODY) -> list[str]:
    """Cut a long reply into <= limit-char parts, at paragraph, line, sentence or word ends.

    Twilio refuses bodies over 1600 characters; a cut in the middle of a word reads badly.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", "! ", "? ", " "):
            pos = window.rfind(sep)
            if pos >= limit // 2:
                cut = pos + len(sep)
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def render_buttons(text: str, buttons: list[dict] | None) -> str:
    """WhatsApp free-form messages have no buttons: list the choices as numbered lines."""
    if not buttons:
        return text
    lines = [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, 1)]
    return (text.rstrip() + "\n\n" if text.strip() else "") + "\n".join(lines)


# Ordinal words customers type for a numbered choice, NL and FR (accents folded away).
ORDINALS = {
    "een": 1, "eerste": 1, "eerst": 1, "un": 1, "une": 1, "premier": 1, "premiere": 1, "one": 1, "first": 1,
    "twee": 2, "tweede": 2, "deux": 2, "deuxieme": 2, "second": 2, "seconde": 2, "two": 2,
    "drie": 3, "derde": 3, "trois": 3, "troisieme": 3, "three": 3, "third": 3,
    "vier": 4, "vierde": 4, "quatre": 4, "quatrieme": 4,
    "vijf": 5, "vijfde": 5, "cinq": 5, "cinquieme": 5,
}
# Words around the choice that carry nothing: "de eerste", "nummer 2", "la deuxième svp", "optie 3".
_FILLER = {"de", "het", "die", "dat", "le", "la", "l", "les", "nummer", "nr", "n", "no", "num", "numero",
           "optie", "keuze", "option", "choix", "antwoord", "reponse", "graag", "aub", "svp", "aub",
           "alstublieft", "alsjeblieft", "merci", "dank", "ok", "oke", "ja", "oui", "is", "c", "est", "ce",
           "vraag", "question", "je", "neem", "prends", "wil", "veux", "kies", "choisis"}
_ARTICLES = {"een", "un", "une", "one"}  # "een vraag" is not choice 1; "een" alone is
_NUMBER_WORD = re.compile(r"^(\d{1,2})(?:e|de|ste|er|re|eme|ieme|st|nd|rd|th)?$")


def choice_number(text: str) -> int | None:
    """'2', 'de eerste', 'la deuxième', 'nummer 2', 'le 3', '2e', 'n°2' -> the number; else None.

    Only short replies count: every word must be the number or a filler word, so "ik heb 2
    vragen over mijn factuur" is not a choice."""
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    words = re.findall(r"[a-z0-9]+", folded.replace("°", " "))
    if not words or len(words) > 4:
        return None
    found: list[int] = []
    for w in words:
        m = _NUMBER_WORD.match(w)
        if m:
            found.append(int(m.group(1)))
        elif w in ORDINALS and (w not in _ARTICLES or len(words) == 1):
            found.append(ORDINALS[w])
        elif w not in _FILLER:
            return None
    return found[0] if len(found) == 1 else None


def pick_button(text: str, buttons: list[dict] | None) -> str | None:
    """Map a reply '2', 'de tweede', 'la deuxième', 'nummer 2' or a button title back to its
    payload (the reverse of render_buttons)."""
    if not buttons:
        return None
    t = text.strip().rstrip(".").strip().lower()
    n = choice_number(t)
    if n is not None and 1 <= n <= len(buttons):
        return buttons[n - 1].get("payload")
    for b in buttons:
        if str(b.get("title", "")).strip().lower() == t:
            return b.get("payload")
    return None
