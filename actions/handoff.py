"""Hand the conversation to a person: tell the customer, then signal the gateway.

Signal per docs/CONTRACTS.md: a separate message `{"custom": {"handoff": {"reason": ...}}}` after
the customer-facing text, plus the `handoff` slot holding the reason.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.common import language

REASONS = ("asked", "misses", "failed_lookups")
TEXT_KEYS = {"asked": "handoff_asked", "misses": "handoff_misses", "failed_lookups": "lookup_blocked"}


def hand_off(dispatcher: CollectingDispatcher, lang: str, reason: str) -> list[dict[str, Any]]:
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    dispatcher.utter_message(text=texts.text(TEXT_KEYS[reason], lang))
    dispatcher.utter_message(json_message={"handoff": {"reason": reason}})
    return [SlotSet("handoff", reason)]


class ActionHandoff(Action):
    """The customer asked for a person."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        return hand_off(dispatcher, language(tracker), "asked")
