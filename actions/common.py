"""Small helpers to read the tracker the same way in every action."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

ORDER_FORM = "order_lookup_form"
MAX_FAILED_LOOKUPS = 3


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def metadata(tracker: Tracker) -> dict[str, Any]:
    meta = (tracker.latest_message or {}).get("metadata") or {}
    return meta if isinstance(meta, dict) else {}


def language(tracker: Tracker) -> str:
    lang = tracker.get_slot("language")
    if lang in ("nl", "fr"):
        return lang
    hint = metadata(tracker).get("language")
    return hint if hint in ("nl", "fr") else "nl"


def sender_identity(tracker: Tracker) -> str:
    """Who is asking, across conversations: metadata `sender_identity` (set by the gateway,
    e.g. "whatsapp:+32470..."), else the Rasa sender id (one conversation)."""
    identity = metadata(tracker).get("sender_identity")
    return str(identity) if identity else f"sender:{tracker.sender_id}"


def client(tracker: Tracker) -> str | None:
    """The web client's address as the gateway's keyed hash (metadata `client`), if any."""
    value = metadata(tracker).get("client")
    return str(value) if value else None


def as_int(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError):
        return 0


def form_active(tracker: Tracker) -> bool:
    return (tracker.active_loop or {}).get("name") == ORDER_FORM
