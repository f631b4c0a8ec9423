"""`action_validate_slot_mappings`: runs after every user message (Rasa 3 slot extraction).

Sets the conversation language, and pulls order details (email, order number, plate, date) out
of what the customer typed whenever an order lookup is going on. Doing the extraction here, not
in the form, means a customer can correct a value at any time ("sorry, het is 12345679") and the
form simply sees the new value.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.executor import CollectingDispatcher

from actions import parsing
from actions.common import form_active, latest_intent, latest_text, metadata
from actions.shop import conversation_shop
from faq.language_policy import conversation_language

LOOKUP_INTENTS = {"inform", "order_status"}


def today() -> dt.date:
    return dt.date.today()


def _lookup_context(tracker: Tracker) -> bool:
    """Only read order details when they are wanted: no plate/date guessing in FAQ questions."""
    text = latest_text(tracker)
    if text.startswith("/"):
        return False
    return form_active(tracker) or latest_intent(tracker) in LOOKUP_INTENTS or parsing.parse_email(text) is not None


class ValidateSlotMappings(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        """The gateway decides the language with the same rule and sends it as metadata `language`;
        deciding again from it changes nothing, so bot replies and gateway notices agree. Without a
        gateway (Rasa's REST channel used directly) the slot is the prior."""
        hint = metadata(tracker).get("language")
        prior = hint if hint in ("nl", "fr") else tracker.get_slot("language")
        return {"language": conversation_language(latest_text(tracker), prior)}

    async def extract_shop(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        """The shop is fixed when the conversation starts: the gateway sends it with every turn."""
        if tracker.get_slot("shop"):
            return {}
        return {"shop": conversation_shop(tracker)}

    async def extract_email(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        if not _lookup_context(tracker):
            return {}
        email = parsing.parse_email(latest_text(tracker))
        return {"email": email} if email else {}

    async def extract_order_number(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        if not _lookup_context(tracker):
            return {}
        number = parsing.parse_order_number(latest_text(tracker))
        if not number:
            return {}
        # switching to "by order number": forget a half-given plate/date
        return {"order_number": number, "plate": None, "order_date": None, "lookup_by": "number"}

    async def extract_plate(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        if not _lookup_context(tracker):
            return {}
        plate = parsing.parse_plate(latest_text(tracker))
        if not plate:
            return {}
        found = {"plate": plate}
        if not parsing.parse_order_number(latest_text(tracker)):
            found.update(order_number=None, lookup_by="plate")
        return found

    async def extract_order_date(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        if not _lookup_context(tracker):
            return {}
        text = latest_text(tracker)
        date = parsing.parse_date(text, today(), tracker.get_slot("language"))
        if not date:
            return {}
        found: dict[str, Any] = {"order_date": date.isoformat()}
        if not parsing.parse_order_number(text):
            found.update(order_number=None, lookup_by="plate")
        return found

    async def extract_lookup_by(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        """A fresh "where is my order?" outside the form starts a new lookup (the email is kept)."""
        text = latest_text(tracker)
        if form_active(tracker) or latest_intent(tracker) != "order_status":
            return {}
        if parsing.parse_order_number(text) or parsing.parse_plate(text) or parsing.parse_date(text, today()):
            return {}
        return {"order_number": None, "plate": None, "order_date": None, "lookup_by": None}
