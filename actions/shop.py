"""The shop a conversation belongs to, as the actions see it.

The gateway fixes a conversation's shop when it starts and sends it as metadata `shop` with
every turn; `action_validate_slot_mappings` keeps it in the `shop` slot. FAQ answers and order
lookups are limited to that shop. Without a shops file (a bare bot checkout) the default shop is
`mister-auto`, the first seed shop, so a conversation never runs unscoped by accident.
"""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import metadata

FALLBACK_SHOP = "mister-auto"


def default_shop() -> str:
    """The shops file's default_shop (helpdesk.shops), else FALLBACK_SHOP."""
    try:
        from helpdesk import shops

        return shops.default().id
    except Exception:  # noqa: BLE001 - no or broken shops file
        return FALLBACK_SHOP


def known_shop(shop_id: str | None) -> bool:
    try:
        from helpdesk import shops

        return shops.get(shop_id) is not None
    except Exception:  # noqa: BLE001
        return shop_id == FALLBACK_SHOP


def conversation_shop(tracker: Tracker) -> str:
    """The `shop` slot, else the turn's metadata `shop`, else the default shop."""
    for value in (tracker.get_slot("shop"), metadata(tracker).get("shop")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return default_shop()


def channel(tracker: Tracker) -> str:
    """The channel of this turn (metadata `channel`: web, whatsapp, email); "web" when unknown."""
    value = metadata(tracker).get("channel")
    return str(value) if value in ("web", "whatsapp", "email") else "web"
