"""The one incoming-message flow: adapter -> store -> (bot | console) -> outbox.

`receive` is what every channel adapter calls. It commits the message before returning (so the
adapter may acknowledge) and routes it in a background task: in state `bot` the message goes to
Rasa and the replies go to the outbox; in `pending`/`agent` the bot stays silent and the console
learns about the message from the bus. Messages of one conversation are routed one at a time, in
order. An inbound message stays `received` until routed, so a restart routes what a crash left.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from connectors import bus, csat, handoff, metrics, outbox, rasa_client, shops, stats, store
from faq.language_policy import conversation_language
from helpdesk import wording

log = logging.getLogger(__name__)

MAX_RASA_TEXT = 4000  # longer texts (emails) are stored whole but only their start goes to the NLU
RASA_RETRIES = (0.5, 1.5, 4.0)  # waits between attempts while Rasa refuses connections
RESUME_WINDOW = timedelta(hours=1)  # unrouted messages this recent go to the bot; older ones to a person
SWEEP_SECONDS = 60.0  # how often a running gateway looks for inbound messages left unrouted
SWEEP_GRACE = timedelta(minutes=2)  # a message normally routes in seconds; older and still `received` = left
STALE_REASON = "unanswered"  # handoff reason of a conversation whose message waited too long for the bot

# Kept as a name: tests compare with it. The sentences live in helpdesk.wording.
BOT_DOWN = wording.TEXTS["bot_down"]


# ---------------------------------------------------------------- language


def detect_language(text: str | None, prior: str | None) -> str:
    """The conversation's language after this message: the one policy the bot applies too
    (faq.language_policy), so notices and bot replies are always in the same language."""
    try:
        return conversation_language(text, prior)
    except Exception:
        log.exception("language detection failed")
        return prior if prior in ("nl", "fr") else "nl"


# ---------------------------------------------------------------- conversations


def conversation_for(app: web.Application, channel: str, identity: str, *,
                     thread_key: str | None = None, name: str | None = None,
                     language: str | None = None, token_hash: str | None = None,
                     conversation_id: str | None = None, client_hash: str | None = None,
                     shop: str | None = None, shop_address: str | None = None) -> dict:
    """The conversation a message from `identity` belongs to, created when there is none open.

    Email picks by thread (the root Message-ID); WhatsApp and web reuse the identity's open
    conversation with the same shop. A closed conversation is never reopened: the customer gets a
    new one. `conversation_id` names a new conversation announced before it existed (the web chat's
    session frame); `client_hash` is the web client's pseudonymous address (per-address limits).
    `shop` (a shops.yml id, the adapter's choice; default: the default shop) is fixed for a new
    conversation; an existing conversation keeps the shop it started with. A new conversation's
    language: `language`, else the customer's previous one, else the shop's `default_language`.
    `shop_address`: the shop's number/address the customer wrote to (replies go out from it).
    """
    db = app["db"]
    shop = shop or shops.default(app).id
    contact = store.get_or_create_contact(db, channel, identity, name)
    if thread_key:
        conv = store.conversation_by_thread(db, channel, thread_key)
    else:
        conv = store.open_conversation_for_contact(db, contact["id"], shop)
    if conv is not None and conv["state"] != "closed":
        return conv
    previous = conv or store.latest_conversation_for_contact(db, contact["id"])
    conv = store.create_conversation(
        db, contact["id"], channel,
        language=(language if language in ("nl", "fr") else (previous or {}).get("language")
                  or getattr(shops.get(app, shop), "default_language", None)),
        thread_key=thread_key,
        token_hash=token_hash or (previous or {}).get("token_hash"),
        conversation_id=conversation_id if conversation_id and store.get_conversation(db, conversation_id) is None
        else None,
        client_hash=client_hash,
        shop=shop,
        shop_address=shop_address,
    )
    bus.publish(app, "conversation", conv)
    return conv


# ---------------------------------------------------------------- inbound


async def receive(app: web.Application, *, channel: str, identity: str, text: str | None,
                  channel_message_id: str | None = None, media: list | None = None,
                  thread_key: str | None = None, name: str | None = None,
                  meta: dict[str, Any] | None = None, into_conversation: str | None = None) -> dict:
    """Store one inbound message, then route it in the background.

    Returns `{"conversation_id", "message_id", "duplicate"}`; when it returns the message is
    committed. A redelivered `channel_message_id` returns the first copy with `duplicate=True`
    and routes nothing. `meta["language"]` seeds a new conversation's language (widget config);
    `meta["no_reply"]` stores the message without routing it (automatic mail).
    `into_conversation` puts the message into that open conversation even if it began on another
    channel (an email reply to a web chat that continued by email); a closed one is not reopened.
    `meta["shop"]` is the shop a new conversation belongs to (default: the default shop),
    `meta["shop_address"]` the shop's number or inbox the customer wrote to.
    """
    db = app["db"]
    meta = meta or {}
    text = text.strip() if isinstance(text, str) else None
    if not text and not media:
        raise store.StoreError("an inbound message needs text or media")
    target = store.get_conversation(db, into_conversation) if into_conversation else None
    if target is not None and target["state"] == "closed":
        target = None
    if channel_message_id:
        existing = store.find_inbound(db, channel, channel_message_id)
        if existing is None and target is not None and target["channel"] != channel:
            existing = store.find_inbound(db, target["channel"], channel_message_id)
        if existing is not None:
            stats.count(app, channel, "duplicates")
            return {"conversation_id": existing["conversation_id"], "message_id": existing["id"],
                    "duplicate": True}
    if not media and target is None:  # a bare 1-5 right after we asked for a rating answers that question
        rated = csat.take_answer(app, channel=channel, identity=identity, text=text, thread_key=thread_key,
                                 channel_message_id=channel_message_id)
        if rated is not None:
            metrics.message(app, channel, "in")
            return rated
    conv = target or conversation_for(app, channel, identity, thread_key=thread_key, name=name,
                                      language=meta.get("language"), token_hash=meta.get("token_hash"),
                                      conversation_id=meta.get("conversation_id"),
                                      client_hash=meta.get("client_hash"),
                                      shop=meta.get("shop"), shop_address=meta.get("shop_address"))
    try:
        msg = store.add_message(db, conv["id"], direction="in", author="customer", text=text,
                                status="received", media=media, channel_message_id=channel_message_id,
                                channel=channel)
    except store.DuplicateInbound as dup:  # the same webhook raced in on another gateway
        stats.count(app, channel, "duplicates")
        return {"conversation_id": dup.existing["conversation_id"], "message_id": dup.existing["id"],
                "duplicate": True}
    conv = store.update_conversation(db, conv["id"], last_customer_message_at=msg["created_at"])
    bus.publish(app, "message", msg)
    stats.count(app, channel, "received")
    metrics.message(app, channel, "in")
    if meta.get("no_reply"):
        # Automatic mail (out-of-office, bounce, list): stored for the agents, never shown to the
        # bot, so nothing of ours (reply, apology, queue notice) goes back to a robot.
        store.mark_inbound_routed(db, msg["id"])
        store.add_event(db, conv["id"], "not_answered", "system", {"why": "automatic message"})
    else:
        _spawn(app, conv["id"], msg["id"])
    return {"conversation_id": conv["id"], "message_id": msg["id"], "duplicate": False}


def setup(app: web.Application) -> None:
    """Create the flow's state before the app starts (aiohttp freezes it afterwards)."""
    app["flow_tasks"] = set()
    app["flow_locks"] = {}
    app["flow_routing"] = set()  # inbound message ids being routed now (the sweeper skips them)
    app["flow_sweeper"] = []


def _spawn(app: web.Application, conversation_id: str, message_id: int, stale: bool = False) -> None:
    tasks: set[asyncio.Task] = app["flow_tasks"]
    routing: set[int] = app["flow_routing"]
    task = asyncio.create_task(route(app, conversation_id, message_id, stale=stale), name=f"route:{message_id}")
    tasks.add(task)
    routing.add(message_id)
    task.add_done_callback(tasks.discard)
    task.add_done_callback(lambda _t: routing.discard(message_id))


def _lock(app: web.Application, conversation_id: str) -> asyncio.Lock:
    locks: dict[str, asyncio.Lock] = app["flow_locks"]
    lock = locks.get(conversation_id)
    if lock is None:
        lock = locks[conversation_id] = asyncio.Lock()
    return lock


async def route(app: web.Application, conversation_id: str, message_id: int, stale: bool = False) -> None:
    """Send one stored inbound message to the bot, or leave it to the agents. Never raises.

    `stale`: the message waited longer than RESUME_WINDOW; a person answers it, not the bot.
    """
    lock = _lock(app, conversation_id)
    try:
        async with lock:
            await _route_locked(app, conversation_id, message_id, stale)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("routing message %s failed", message_id)
    finally:
        if not lock.locked() and not lock._waiters:  # type: ignore[attr-defined]
            app["flow_locks"].pop(conversation_id, None)


async def _route_locked(app: web.Application, conversation_id: str, message_id: int,
                        stale: bool = False) -> None:
    db = app["db"]
    msg = store.get_message(db, message_id)
    conv = store.get_conversation(db, conversation_id)
    if msg is None or conv is None or msg["status"] != "received":
        return
    language = detect_language(msg["text"], conv["language"])
    if language != conv["language"]:
        conv = store.update_conversation(db, conversation_id, language=language)
        bus.publish(app, "conversation", conv)
    if conv["state"] != "bot":
        store.mark_inbound_routed(db, message_id)  # the console already saw it on the bus
        return
    if stale:
        with store.transaction(db):
            store.add_event(db, conversation_id, "stale_inbound", "system", {"message_id": message_id})
            handoff.escalate(app, conversation_id, STALE_REASON, actor="system")
            store.mark_inbound_routed(db, message_id)
        return
    if not msg["text"]:
        outbox.enqueue(app, conversation_id, wording.text("text_only", language), author="bot")
        store.mark_inbound_routed(db, message_id)
        return
    bus.publish(app, "typing", {"conversation_id": conversation_id, "on": True})
    started = time.monotonic()
    try:
        replies = await _ask_rasa(app, conv, msg["text"][:MAX_RASA_TEXT], language)
        if replies is not None:
            metrics.turn(app, conv["channel"], time.monotonic() - started)
    finally:
        bus.publish(app, "typing", {"conversation_id": conversation_id, "on": False})
    # An agent may have taken over while Rasa thought: then the bot's answer is dropped.
    if store.require_conversation(db, conversation_id)["state"] != "bot":
        store.mark_inbound_routed(db, message_id)
        return
    # Replies and the "routed" mark commit together: a crash never answers one message twice.
    with store.transaction(db):
        if replies is None:
            outbox.enqueue(app, conversation_id, wording.text("bot_down", language), author="bot")
        else:
            deliver_bot_replies(app, conversation_id, replies, message_id=message_id)
        store.mark_inbound_routed(db, message_id)


async def _ask_rasa(app: web.Application, conv: dict, text: str, language: str) -> list[dict] | None:
    """Rasa's replies, retrying a few times; None when Rasa stays unreachable."""
    rasa_url = app["settings"].RASA_URL
    for attempt, wait in enumerate((0.0, *RASA_RETRIES)):
        if wait:
            await asyncio.sleep(wait)
        try:
            return await rasa_client.turn(app["http"], rasa_url, conv["id"], text, language,
                                          conv["channel"], f"contact:{conv['contact_id']}",
                                          client=conv.get("client_hash"), shop=shops.of(app, conv).id,
                                          spread=bool(app["settings"].REDIS_URL))
        except rasa_client.RasaError as exc:
            log.warning("Rasa turn for %s failed (attempt %d): %s", conv["id"], attempt + 1, exc)
            last_error = str(exc)
            if not exc.retryable:  # Rasa may have seen it (timeout): never ask twice
                break
    store.add_event(app["db"], conv["id"], "bot_error", "system", {"error": last_error})
    return None


def deliver_bot_replies(app: web.Application, conversation_id: str, replies: list[dict],
                        message_id: int | None = None) -> None:
    """Queue Rasa's messages in order; a handoff custom payload escalates the conversation.

    On a channel with `one_message_per_turn` (email) the turn's messages become one outbound
    message (texts as paragraphs, buttons and media together, the handoff's queue notice last).
    A `custom.faq` marker (the FAQ action's decision) is recorded as a `faq` event, tied to the
    customer message `message_id` it answered, and counted; it is never sent.
    """
    conv = store.get_conversation(app["db"], conversation_id)
    join = conv is not None and conv["channel"] in app.get("one_message_per_turn", ())
    outgoing: list[tuple[str | None, list | None, list | None]] = []
    escalations: list[str] = []
    closing = False
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("faq"), dict):
            metrics.faq_marker(app, conversation_id, custom["faq"], message_id)
            continue
        if isinstance(custom, dict) and custom.get("lookup") == "found":
            store.add_event(app["db"], conversation_id, "lookup_found", "bot")
            continue
        if isinstance(custom, dict) and custom.get("closing"):
            closing = True  # the text of this reply is still sent below
        if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
            reason = str(custom["handoff"].get("reason") or "asked")
            if join:
                escalations.append(reason)
            else:
                handoff.escalate(app, conversation_id, reason, actor="bot")
            continue
        text = reply.get("text")
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in reply.get("buttons") or [] if isinstance(b, dict)
        ] or None
        media = [reply["image"]] if reply.get("image") else None
        if not (text or media):
            continue
        if join:
            outgoing.append((text, buttons, media))
        else:
            outbox.enqueue(app, conversation_id, text, author="bot", buttons=buttons, media=media)
    notices: list[str] = []
    for reason in escalations:  # the queue notice joins the turn's message instead of its own mail
        handoff.escalate(app, conversation_id, reason, actor="bot", notices=notices)
    outgoing += [(notice, None, None) for notice in notices]
    if outgoing:
        text, buttons, media = join_turn(outgoing)
        outbox.enqueue(app, conversation_id, text, author="bot", buttons=buttons, media=media)
    # Thanks or goodbye after the bot resolved something: the conversation is done (rating asked).
    if closing and csat.resolved_by_bot(app["db"], conversation_id):
        handoff.close(app, conversation_id, "bot")


def join_turn(parts: list[tuple[str | None, list | None, list | None]]) -> tuple[str | None, list | None, list | None]:
    """Several bot messages of one turn as one: texts as paragraphs, buttons and media in order."""
    texts = [t.strip() for t, _b, _m in parts if t and t.strip()]
    buttons = [b for _t, bs, _m in parts for b in (bs or [])]
    media = [m for _t, _b, ms in parts for m in (ms or [])]
    return ("\n\n".join(texts) or None), (buttons or None), (media or None)


# ---------------------------------------------------------------- restart


async def resume(app: web.Application) -> int:
    """on_startup hook: route inbound messages a previous run stored but never routed; keep sweeping."""
    count = sweep(app, grace=timedelta(0))
    if count:
        log.info("resuming %d unrouted inbound message(s)", count)
    app["flow_sweeper"].append(asyncio.create_task(_sweep_forever(app), name="flow-sweeper"))
    return count


def sweep(app: web.Application, grace: timedelta = SWEEP_GRACE) -> int:
    """Route every inbound message still `received` after `grace` that nothing is routing now.

    Why: a message stored just before a crash, or whose routing failed, used to stay `received`
    forever once it was older than the resume window. Recent ones go to the bot as usual; ones
    older than RESUME_WINDOW are not answered by the bot hours late but queued for a person
    (reason `unanswered`). Routing is idempotent (status checked under the conversation's lock).
    """
    now = datetime.now(timezone.utc)
    before = (now - grace).isoformat(timespec="milliseconds")
    stale_before = (now - RESUME_WINDOW).isoformat(timespec="milliseconds")
    routing: set[int] = app["flow_routing"]
    count = 0
    for msg in store.unrouted_inbound_before(app["db"], before):
        if msg["id"] in routing:
            continue
        _spawn(app, msg["conversation_id"], msg["id"], stale=msg["created_at"] < stale_before)
        count += 1
    return count


async def _sweep_forever(app: web.Application) -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            count = sweep(app)
        except Exception:  # a busy database must not end the sweeper
            log.exception("sweep for unrouted inbound messages failed")
            continue
        if count:
            log.warning("routing %d inbound message(s) left unrouted", count)


async def stop(app: web.Application) -> None:
    """on_cleanup hook: cancel routing in flight (those messages stay `received`: resumed later)."""
    tasks = list(app["flow_sweeper"]) + list(app["flow_tasks"])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
