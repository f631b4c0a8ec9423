"""Hand the conversation to a person: tell the customer, then signal the gateway.

Signal per docs/CONTRACTS.md: a separate message `{"custom": {"handoff": {"reason": ...}}}` after
the customer-facing text, plus the `handoff` slot holding the reason.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, latest_text
from actions import faq_search
from actions.faq_reply import reply
from actions.shop import channel, conversation_shop
from helpdesk import wording

logger = logging.getLogger(__name__)

REASONS = ("asked", "misses", "failed_lookups")

# Words that ask for a person, in NL (incl. Flemish) and FR. A message the NLU files under
# `request_human` without any of them is often a question *about* customer service ("hoe laat is de
# klantendienst open?", "numéro de téléphone du service client") that the FAQ answers at once.
_PERSON = re.compile(
    r"\b(mens|mensen|medewerker\w*|persoon|personen|iemand|agent|agente|collega|robot|bot|chatbot|"
    r"doorverbind\w*|verbind\w*|verantwoordelijke|live|spreken|praten|chatten|lijn|"
    r"humain\w*|personne|quelqu'?un|quelqu un|conseill\w*|op[ée]rat\w*|parler|vrai\w*|r[ée]el\w*|"
    r"sp[ée]cialiste|responsable|discuter|relation|transf[ée]r\w*|mettez|passez|coll[èe]gue|contactez)\b"
    r"|\b(in|en) contact\b"
    r"|\b(je veux|je voudrais|ik wil|ik wou|ik zou graag)\b.*\b(service|sav|support|klantendienst|klantenservice)\b",
    re.IGNORECASE)
TEXT_KEYS = {"asked": "handoff_asked", "misses": "handoff_misses", "failed_lookups": "lookup_blocked"}


def hand_off(dispatcher: CollectingDispatcher, lang: str, reason: str) -> list[dict[str, Any]]:
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    dispatcher.utter_message(text=wording.text(TEXT_KEYS[reason], lang))
    dispatcher.utter_message(json_message={"handoff": {"reason": reason}})
    return [SlotSet("handoff", reason)]


def asks_for_a_person(text: str) -> bool:
    """True unless the message is a longer question with no word asking for a person.

    Short messages ("klantendienst aub", "un humain") and button payloads count as asking."""
    text = (text or "").strip()
    if not text or text.startswith("/") or len(re.findall(r"\w+", text)) <= 3:
        return True
    return bool(_PERSON.search(text))


class ActionHandoff(Action):
    """The customer asked for a person (or asked something the FAQ answers outright: see _PERSON)."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        lang = language(tracker)
        text = latest_text(tracker)
        if not asks_for_a_person(text):
            # "quels sont les horaires du service client ?": a question about customer service, not
            # a request for a person: the shop's FAQ answers it (or offers its closest entries).
            shop = conversation_shop(tracker)
            try:
                result = faq_search.search(text.strip(), lang, shop)
            except Exception:  # noqa: BLE001 - a person is the safe outcome
                logger.exception("FAQ search failed (shop %s)", shop)
                result = {}
            if reply(dispatcher, result, lang, channel(tracker)):
                logger.info("request_human without asking for a person: answered from the FAQ (shop %s)", shop)
                return [SlotSet("faq_misses", 0.0)]
        return hand_off(dispatcher, lang, "asked")
