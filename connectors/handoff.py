"""Conversation state transitions between the bot and human agents, each with an event.

    bot --escalate--> pending --take--> agent --hand_back--> bot
    bot --take--> agent            (an agent picks up a conversation the bot is still handling)
    any --close--> closed          (a new customer message then starts a new conversation)

Every transition is a compare-and-set on the state (`store.transition`), so two agents can't
both take a conversation; it appends an event with the actor (`bot`, `system`, `agent:<id>`) and
publishes the row on the bus so widget and console sockets update at once. While a conversation is
`pending` or `agent`, `flow` sends nothing to Rasa: the bot is silent.

The customer hears about each step in their language on their own channel (`notices`):
escalation tells them their place in the queue, and outside business hours (`connectors.hours`)
when someone will answer.

First version written with the gateway core; owned by the agent-console work.
"""
from __future__ import annotations

import datetime as dt
import logging

from aiohttp import web

from connectors import bus, hours, outbox, shops, store
from helpdesk import wording

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = dt.timedelta(hours=24)


class HandoffError(ValueError):
    """A transition that does not apply to the conversation's current state (HTTP 409)."""


class NotAllowed(PermissionError):
    """The agent may not act on this conversation (someone else's; HTTP 403)."""


# ---------------------------------------------------------------- customer notices

def _of_shop(shop_name: str, lang: str) -> str:
    """'van Oscaro' / "d'Oscaro" / 'de CATS': French elides 'de' before a vowel."""
    key = "of_shop_elided" if shop_name[:1].lower() in "aeiouyéèêh" else "of_shop"
    return wording.text(key, lang, shop=shop_name)


def queue_notice(lang: str, channel: str, position: int, opening: dt.datetime | None,
                 now: dt.datetime, is_open: bool, shop_name: str | None = None) -> str:
    """What the customer reads when queued: their place (in their shop's queue), and when someone
    answers if closed now (their shop's hours). Names the shop when given."""
    place = wording.text("queue_place", lang, position=position)
    named = {"of_shop": _of_shop(shop_name, lang)} if shop_name else {}
    suffix = "_shop" if shop_name else ""
    if is_open:
        return wording.text("queue_open" + suffix, lang, place=place, **named)
    when = hours.describe(opening, now, lang) if opening else wording.text("queue_when_unknown", lang)
    where = wording.text(f"where.{channel}" if f"where.{channel}" in wording.TEXTS else "where.web", lang)
    return wording.text("queue_closed" + suffix, lang, when=when, where=where, place=place, **named)


def _client_queue_full(app: web.Application, conv: dict) -> bool:
    """Has this conversation's client address (web chat) as many queued chats as allowed?"""
    client = conv.get("client_hash")
    if not client:
        return False
    cap = app["settings"].WEBCHAT_MAX_QUEUED_PER_CLIENT
    return store.queued_for_client(app["db"], client) >= cap


def whatsapp_window_open(conv: dict, now: dt.datetime | None = None) -> bool:
    """WhatsApp allows free text only within 24 h of the customer's last message."""
    last = conv.get("last_customer_message_at")
    if not last:
        return False
    now = now or dt.datetime.now(dt.timezone.utc)
    return now - dt.datetime.fromisoformat(last) < WHATSAPP_WINDOW


def _notify(app: web.Application, conv: dict, text: str, courtesy: bool = True) -> None:
    """Queue a system notice for the customer. Courtesy notices (taken/handed back/closed) skip
    email (one mail per step is noise). No notice goes to WhatsApp outside the 24-hour window:
    Twilio refuses free text there (error 63016); agents reach the customer with a template."""
    if conv["channel"] == "whatsapp" and not whatsapp_window_open(conv):
        return
    if courtesy and conv["channel"] == "email":
        return
    try:
        outbox.enqueue(app, conv["id"], text, author="system")
    except store.StoreError:
        log.exception("could not queue notice for %s", conv["id"])


def _lang(conv: dict) -> str:
    return conv.get("language") if conv.get("language") in ("nl", "fr") else "nl"


# ---------------------------------------------------------------- queue


def pending(db, shop_ids: list[str] | None = None, default_shop: str | None = None) -> list[dict]:
    """The queue: pending conversations, longest waiting first (only `shop_ids`' when given; a
    conversation without a shop counts as `default_shop`'s)."""
    return store.pending_queue(db, shops=shop_ids, default_shop=default_shop)


def position(db, conversation_id: str, shop_ids: list[str] | None = None,
             default_shop: str | None = None) -> int | None:
    """1-based place in the queue (of `shop_ids`, when given), None when not pending."""
    for i, conv in enumerate(pending(db, shop_ids, default_shop), start=1):
        if conv["id"] == conversation_id:
            return i
    return None


def shop_position(app: web.Application, conv: dict) -> int | None:
    """Place in the queue of the conversation's own shop: that shop's agents answer it."""
    shop = shops.of(app, conv)
    return position(app["db"], conv["id"], [shop.id], shops.default(app).id)


def _changed(app: web.Application, conv: dict) -> dict:
    bus.publish(app, "conversation", conv)
    return conv


# ---------------------------------------------------------------- transitions


def escalate(app: web.Application, conversation_id: str, reason: str, actor: str = "bot",
             now: dt.datetime | None = None, notices: list[str] | None = None) -> dict:
    """Queue the conversation for a human (`bot` -> `pending`) and tell the customer.

    With `notices` the customer's queue notice is appended there instead of queued on its own
    (the flow joins it into the turn's one email).

    Idempotent when already pending or with an agent (a second handoff payload changes nothing).
    """
    db = app["db"]
    conv = store.require_conversation(db, conversation_id)
    if conv["state"] in ("pending", "agent"):
        return conv
    if conv["state"] == "closed":
        raise HandoffError("conversation is closed")
    if _client_queue_full(app, conv):
        # Many fresh chats from one address asking for a person must not fill the agents' queue.
        store.add_event(db, conversation_id, "handoff_refused", actor, {"reason": reason, "why": "client_queue_full"})
        _notify(app, conv, wording.text("queue_full_for_client", _lang(conv)), courtesy=False)
        return conv
    moved = store.transition(db, conversation_id, ("bot",), state="pending", handoff_reason=reason,
                             pending_since=store.now(), assigned_agent_id=None)
    if moved is None:  # someone else moved it meanwhile
        return store.require_conversation(db, conversation_id)
    now = now or dt.datetime.now(dt.timezone.utc)
    shop = shops.of(app, moved)
    schedule = shops.schedule(app, moved)  # the shop's hours, else BUSINESS_HOURS
    is_open = hours.is_open(schedule, now)
    opening = hours.next_opening(schedule, now)
    place = shop_position(app, moved) or 1
    store.add_event(db, conversation_id, "handoff", actor, {
        "reason": reason, "position": place, "business_hours": is_open, "shop": shop.id,
        "next_opening": opening.isoformat() if opening and not is_open else None,
    })
    notice = queue_notice(_lang(moved), moved["channel"], place, opening, now, is_open, shop.name)
    if notices is not None:
        notices.append(notice)
    else:
        _notify(app, moved, notice, courtesy=False)
    return _changed(app, moved)


def _check_actor(conv: dict, agent: dict) -> None:
    if conv["state"] == "agent" and conv["assigned_agent_id"] not in (None, agent["id"]) \
            and agent.get("role") != "admin":
        raise NotAllowed("this conversation is assigned to another agent")


def take(app: web.Application, conversation_id: str, agent: dict | int) -> dict:
    """An agent takes the conversation (`pending`/`bot` -> `agent`): the bot stays silent.

    Atomic: of two agents taking at once, exactly one wins; the other gets HandoffError.
    """
    agent = agent if isinstance(agent, dict) else {"id": agent, "role": "agent", "name": None}
    db = app["db"]
    conv = store.require_conversation(db, conversation_id)
    if conv["state"] == "agent":
        if conv["assigned_agent_id"] == agent["id"]:
            return conv
        raise HandoffError("another agent already took this conversation")
    if conv["state"] == "closed":
        raise HandoffError("conversation is closed")
    fields = {"state": "agent", "assigned_agent_id": agent["id"], "pending_since": None}
    if conv["state"] == "bot":
        fields["handoff_reason"] = "agent"
    moved = store.transition(db, conversation_id, ("pending", "bot"), **fields)
    if moved is None:
        raise HandoffError("another agent already took this conversation")
    store.add_event(db, conversation_id, "taken", f"agent:{agent['id']}", {"from": conv["state"]})
    if agent.get("name"):
        _notify(app, moved, wording.text("taken", _lang(moved), name=agent["name"]))
    return _changed(app, moved)


async def hand_back(app: web.Application, conversation_id: str, actor: str,
                    agent: dict | None = None) -> dict:
    """Give the conversation back to the bot and reset Rasa's handoff slots.

    Slots first: if the bot kept `handoff` set, its next answer would escalate again at once.
    A Rasa failure is recorded as an event but doesn't block the agent.
    """
    from connectors import rasa_client

    db = app["db"]
    conv = store.require_conversation(db, conversation_id)
    if agent is not None:
        _check_actor(conv, agent)
    if conv["state"] not in ("pending", "agent"):
        raise HandoffError(f"conversation is {conv['state']}, not with an agent")
    try:
        await rasa_client.reset_handoff(app["http"], app["settings"].RASA_URL, conversation_id)
    except rasa_client.RasaError as exc:
        log.warning("could not reset Rasa slots for %s: %s", conversation_id, exc)
        store.add_event(db, conversation_id, "rasa_reset_failed", "system", {"error": str(exc)})
    moved = store.transition(db, conversation_id, (conv["state"],), state="bot", assigned_agent_id=None,
                             handoff_reason=None, pending_since=None)
    if moved is None:
        raise HandoffError("the conversation changed meanwhile; reload")
    store.add_event(db, conversation_id, "handed_back", actor)
    _notify(app, moved, wording.text("handed_back", _lang(moved)))
    return _changed(app, moved)


def close(app: web.Application, conversation_id: str, actor: str, agent: dict | None = None) -> dict:
    """Close the conversation; the customer's next message opens a new one."""
    db = app["db"]
    conv = store.require_conversation(db, conversation_id)
    if agent is not None:
        _check_actor(conv, agent)
    if conv["state"] == "closed":
        return conv
    moved = store.transition(db, conversation_id, (conv["state"],), state="closed", pending_since=None)
    if moved is None:
        raise HandoffError("the conversation changed meanwhile; reload")
    store.add_event(db, conversation_id, "closed", actor)
    if conv["state"] != "bot":
        _notify(app, moved, wording.text("closed", _lang(moved)))
    return _changed(app, moved)

