"""`validate_order_lookup_form`: which details to ask for, and clear messages for bad values.

The form asks for the email, then the order number, or, when the customer goes that way (gives a
plate or date, or says they have no order number), the plate and the order date. Values are
extracted in actions/validation.py; this action decides what is still missing and explains, in
the customer's language, why a value was not accepted.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import lookup_guard
from actions.common import MAX_FAILED_LOOKUPS, as_int, client, form_active, language, latest_intent, latest_text, sender_identity
from actions.parsing import _fold
from helpdesk import wording

ORDER_SLOTS = ("email", "order_number", "plate", "order_date")
# Intents that mean "something else" rather than a bad value: the form lets the rules handle them.
OTHER_INTENTS = {"ask_faq", "out_of_scope", "nlu_fallback", "request_human", "change_language",
                 "deny", "goodbye", "faq_select"}
NO_NUMBER_RE = re.compile(
    r"\b(geen|niet|kwijt|weet)\b.*\b(bestel|order|nummer)|\b(bestel|order)\w*\b.*\b(niet|kwijt|geen)\b"
    r"|\b(pas|plus|perdu|oublie)\b.*\b(numero|commande)|\bsans\b.*\bnumero\b"
)
INVALID_KEYS = {"email": "invalid_email", "order_number": "invalid_order_number",
                "plate": "invalid_plate", "order_date": "invalid_date"}


def lookups_blocked(tracker: Tracker) -> bool:
    """Too many failures in this conversation, from this customer or from this client address."""
    return as_int(tracker.get_slot("failed_lookups")) >= MAX_FAILED_LOOKUPS or lookup_guard.blocked(
        [sender_identity(tracker), lookup_guard.client_key(client(tracker))]
    )


class ValidateOrderLookupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_lookup_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict) -> list[str]:
        if lookups_blocked(tracker):
            return []  # the form ends at once; action_lookup_order explains and hands off
        if tracker.get_slot("order_number"):
            return ["email", "order_number"]
        if tracker.get_slot("lookup_by") == "plate" or tracker.get_slot("plate") or tracker.get_slot("order_date"):
            return ["email", "plate", "order_date"]
        return ["email", "order_number"]

    # Values are extracted once, in actions/validation.py; these keep rasa-sdk from warning.
    async def extract_plate(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return {}

    async def extract_order_date(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return {}

    def validate_order_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: dict) -> dict[str, Any]:
        if value and dt.date.fromisoformat(value) > dt.date.today():
            dispatcher.utter_message(text=wording.text("future_date", language(tracker)))
            return {"order_date": None}
        return {"order_date": value}

    def validate_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return {"email": value}

    def validate_order_number(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return {"order_number": value}

    def validate_plate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> dict[str, Any]:
        return {"plate": value}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        if not form_active(tracker) or requested not in ORDER_SLOTS:
            return events
        if any(name in ORDER_SLOTS for name in tracker.slots_to_validate()):
            return events  # the customer gave (or corrected) a value
        text = latest_text(tracker)
        if requested == "order_number" and NO_NUMBER_RE.search(_fold(text)):
            # "ik heb geen bestelnummer": go the plate + date way
            return [SlotSet("lookup_by", "plate"), SlotSet("requested_slot", "plate")]
        if latest_intent(tracker) in OTHER_INTENTS:
            return events  # rejected: a question, a switch, a stop... the rules take it
        dispatcher.utter_message(text=wording.text(INVALID_KEYS[requested], language(tracker)))
        return events + [SlotSet(requested, None)]
