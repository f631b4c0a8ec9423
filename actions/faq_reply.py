"""How a FAQ search result reaches the customer on each channel (issue 10).

Not every customer can click: web gets buttons; WhatsApp gets the same choices as numbered lines
(the gateway renders them and maps a reply "2" / "de tweede" back to the payload); email never asks
back: one message (one email) with the best answer in full, then "other answers that may help".
Its own module because `action_answer_faq` and the handoff guard both reply this way (no
faq_answer <-> handoff import cycle).
"""
from __future__ import annotations

import json

from rasa_sdk.executor import CollectingDispatcher

from actions.faq_search import sure_answer
from helpdesk import wording

BUTTON_TITLE_MAX = 80


def button_payload(faq_id: str) -> str:
    return "/faq_select" + json.dumps({"faq_id": faq_id})


def reply(dispatcher: CollectingDispatcher, result: dict, lang: str, channel_name: str) -> bool:
    """Send a search result the way this channel can show it; False when there is nothing to say."""
    results = result.get("results") or []
    answer = sure_answer(result)
    if answer is not None:
        dispatcher.utter_message(text=answer)
        return True
    if result.get("decision") != "clarify" or not results:
        return False
    if channel_name == "email":
        dispatcher.utter_message(text=email_answer(results, lang))
        return True
    key = "faq_clarify_numbered" if channel_name == "whatsapp" else "faq_clarify"
    buttons = [{"title": _short(r["question"]), "payload": button_payload(r["id"])} for r in results[:3]]
    dispatcher.utter_message(text=wording.text(key, lang), buttons=buttons)
    return True


def email_answer(results: list[dict], lang: str) -> str:
    """The best entry's answer in full, then the next entries (question + answer): an email
    customer cannot click a button, and a "did you mean" costs them a round trip of hours."""
    parts = [str(results[0]["answer"]).strip()]
    if len(results) > 1:
        parts.append(wording.text("faq_others", lang))
        for r in results[1:3]:
            parts.append(f"- {' '.join(str(r['question']).split())}\n{str(r['answer']).strip()}")
    return "\n\n".join(parts)


def _short(question: str) -> str:
    question = " ".join(str(question).split())
    return question if len(question) <= BUTTON_TITLE_MAX else question[: BUTTON_TITLE_MAX - 1] + "…"
