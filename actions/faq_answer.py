"""`action_answer_faq`: answer a question from the FAQ knowledge base.

Every question-like turn lands here: `ask_faq`, but also `out_of_scope` and low-confidence
`nlu_fallback`, so a real question is never lost to "I don't understand". The FAQ search decides:
answer, clarify with buttons (a button's payload answers that entry), or "I don't know". Two
misses in a row hand the conversation to a person.

Only the conversation's shop's collections are searched (slot `shop`, issue 10). How a clarify
reaches the customer depends on the channel (metadata `channel`), because not every customer can
click: web gets buttons; WhatsApp gets the same choices as numbered lines (the gateway renders
them and maps a reply "2" / "de tweede" back to the payload); email never asks back: one message
(one email) with the best answer in full, then "other answers that may help" with the next ones.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import faq_search
from actions.common import as_int, language, latest_intent, latest_text
from actions.faq_reply import button_payload, reply  # noqa: F401 - button_payload: tests and callers
from actions.handoff import hand_off
from actions.shop import channel, conversation_shop
from helpdesk import wording

logger = logging.getLogger(__name__)
MAX_MISSES = 2


def faq_entry(faq_id: str, lang: str) -> dict | None:
    """One entry by id, through the FAQ service (honours FAQ_DIR; format in docs/CONTRACTS.md)."""
    from faq.service import entry

    return entry(faq_id, lang)


def selected_faq_id(tracker: Tracker) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "faq_id" and entity.get("value"):
            return str(entity["value"])
    return None



class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language(tracker)
        shop = conversation_shop(tracker)
        if latest_intent(tracker) == "faq_select":
            faq_id = selected_faq_id(tracker)
            try:
                entry = faq_entry(faq_id, lang) if faq_id and faq_search.in_shop(faq_id, shop) else None
            except Exception:  # the FAQ base must never crash the conversation
                logger.exception("FAQ entry lookup failed")
                dispatcher.utter_message(text=wording.text("faq_unavailable", lang))
                return []
            if entry:
                dispatcher.utter_message(text=str(entry["answer"]).strip())
                return [SlotSet("faq_misses", 0.0)]
            return self._miss(dispatcher, tracker, lang)

        query = latest_text(tracker).strip()
        try:
            result = faq_search.search(query, lang, shop)
        except Exception:  # the FAQ index must never crash the conversation
            logger.exception("FAQ search failed (shop %s)", shop)
            dispatcher.utter_message(text=wording.text("faq_unavailable", lang))
            return []
        if reply(dispatcher, result, lang, channel(tracker)):
            return [SlotSet("faq_misses", 0.0)]
        return self._miss(dispatcher, tracker, lang)

    def _miss(self, dispatcher: CollectingDispatcher, tracker: Tracker, lang: str) -> list[dict[str, Any]]:
        misses = as_int(tracker.get_slot("faq_misses")) + 1
        if misses >= MAX_MISSES:
            return [SlotSet("faq_misses", float(misses))] + hand_off(dispatcher, lang, "misses")
        dispatcher.utter_message(text=wording.text("faq_none", lang))
        return [SlotSet("faq_misses", float(misses))]


def _warm_up() -> None:
    """Load the FAQ index in the background when the action server starts, so the first
    customer question is not the one that waits for the embedder (seconds on 2 cores)."""
    import os
    import sys
    import threading

    from helpdesk import settings

    if not settings.current().ACTIONS_WARMUP:
        return
    if not any(arg.endswith(("rasa_sdk/__main__.py", "rasa_sdk")) for arg in sys.argv[:1]):
        return

    def load() -> None:
        try:
            from faq.service import searcher

            searcher()
        except Exception:  # the first real question will report the problem
            logger.exception("FAQ warm-up failed")

    threading.Thread(target=load, name="faq-warm-up", daemon=True).start()


_warm_up()
