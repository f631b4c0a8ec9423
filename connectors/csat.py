"""Customer satisfaction: ask once, after a conversation closed, for a 1-5 rating; store the answer.

Who closes: an agent (console), or the bot when the customer thanks it or says goodbye after the
bot resolved something (a sure FAQ answer, or an order it found): the reply then carries the
domain's `custom.closing` marker and the conversation had a `faq` answer event or a
`lookup_found` event.

How it is asked, in the conversation's language on its channel: web chat gets five buttons
(their payloads are the digits), WhatsApp a question to answer with a digit (only inside the
24-hour window: outside it Twilio refuses free text, so nobody is asked), email a line asking to
reply with a number. The answer is the customer's next message on that channel when it is just a
number 1-5 ("4", "4/5", "4 sterren"); it is stored with the closed conversation and does not open
a new one. Anything else starts a new conversation as usual.
"""
from __future__ import annotations

import datetime as dt
import logging
import re

from aiohttp import web

from connectors import bus, outbox, store

from helpdesk import wording

log = logging.getLogger(__name__)

ANSWER_WINDOW = dt.timedelta(days=7)  # a digit sent weeks later is a new question, not a rating

CHANNELS = ("web", "whatsapp", "email")  # where the rating question is asked (wording: csat_question_<channel>)

_SCORE = re.compile(r"^\s*([1-5])\s*(?:/\s*5|★+|\*+|sterren?|étoiles?|etoiles?|stars?|points?|punten)?\s*[.!]?\s*$",
                    re.IGNORECASE)


def parse_score(text: str | None) -> int | None:
    """A rating 1-5 when the message (an email: its first non-empty line) is only that."""
    if not text:
        return None
    first = next((line for line in text.splitlines() if line.strip()), "")
    match = _SCORE.match(first)
    return int(match.group(1)) if match else None


def _lang(conv: dict) -> str:
    return conv["language"] if conv.get("language") in ("nl", "fr") else "nl"


def resolved_by_bot(db, conversation_id: str) -> bool:
    """Did the bot give this conversation what it came for (a sure FAQ answer, an order found)?"""
    for event in store.list_events(db, conversation_id):
        data = event["data"] or {}
        if event["type"] == "lookup_found" or (event["type"] == "faq" and data.get("decision") == "answer"):
            return True
    return False


def ask(app: web.Application, conv: dict, window_open: bool) -> bool:
    """Ask the customer of a just-closed conversation for a rating, once. True when asked.

    `window_open`: WhatsApp's 24-hour window (handoff.whatsapp_window_open), passed in by the
    caller so this module does not import the handoff module that calls it."""
    if conv["channel"] not in CHANNELS:
        return False
    if conv["channel"] == "whatsapp" and not window_open:
        return False
    if not store.csat_asked(app["db"], conv["id"]):
        return False  # asked before
    lang = _lang(conv)
    buttons = [{"title": str(n), "payload": str(n)} for n in range(1, 6)] if conv["channel"] == "web" else None
    outbox.enqueue(app, conv["id"], wording.text(f"csat_question_{conv['channel']}", lang), author="system", buttons=buttons)
    store.add_event(app["db"], conv["id"], "csat_asked", "system")
    return True


def awaiting(db, channel: str, identity: str, thread_key: str | None) -> dict | None:
    """The closed conversation whose rating question this customer has not answered yet."""
    if thread_key:
        conv = store.conversation_by_thread(db, channel, thread_key)
    else:
        row = db.execute("SELECT id FROM contacts WHERE channel=? AND identity=?", (channel, identity)).fetchone()
        conv = store.latest_conversation_for_contact(db, row[0]) if row else None
    if not conv or conv["state"] != "closed" or not conv.get("csat_asked_at") or conv.get("csat_score") is not None:
        return None
    asked = dt.datetime.fromisoformat(conv["csat_asked_at"])
    if dt.datetime.now(dt.timezone.utc) - asked > ANSWER_WINDOW:
        return None
    return conv


def take_answer(app: web.Application, *, channel: str, identity: str, text: str | None,
                thread_key: str | None, channel_message_id: str | None) -> dict | None:
    """If this inbound message rates a closed conversation, store it there and return the
    `flow.receive` result; else None (the message goes the usual way)."""
    score = parse_score(text)
    if score is None:
        return None
    db = app["db"]
    conv = awaiting(db, channel, identity, thread_key)
    if conv is None:
        return None
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text=text.strip(),
                            status="delivered", channel_message_id=channel_message_id)
    if store.csat_answered(db, conv["id"], score):
        store.add_event(db, conv["id"], "csat", "customer", {"score": score})
        if channel != "email":  # one more mail just to say thanks is noise
            outbox.enqueue(app, conv["id"], wording.text("csat_thanks", _lang(conv)), author="system")
    bus.publish(app, "message", msg)
    return {"conversation_id": conv["id"], "message_id": msg["id"], "duplicate": False}
