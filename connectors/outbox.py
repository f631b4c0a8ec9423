"""Outbound delivery: store first, then send through the channel adapter, mark, retry.

Every reply (bot or agent) goes through `enqueue`, which commits it as `queued` before any channel
sees it. One worker task per app sends due messages: in order within a conversation, concurrently
across conversations. A retryable failure is retried with exponential backoff; after
`MAX_ATTEMPTS`, or on a permanent failure, the message is `failed` (an agent can see it).
After a restart the worker simply finds the `queued` rows again, so nothing is lost.
Several gateways may share one store: a gateway sends a message only after `store.claim_outbound`
gave it the lease, so none is sent twice; a conversation whose next message another gateway holds
is left to that gateway (order within a conversation is kept).

Adapters register `async def send(app, conversation, message) -> str | None` per channel and raise
`SendError(retryable=...)` when delivery fails.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections import ChainMap, Counter
from datetime import datetime
from typing import Awaitable, Callable

from aiohttp import web

from connectors import bus, metrics, stats, store

log = logging.getLogger(__name__)

Sender = Callable[[web.Application, dict, dict], Awaitable[str | None]]

MAX_ATTEMPTS = 8
BACKOFF_BASE = 1.0  # seconds; attempt n waits BACKOFF_BASE * 2**(n-1), capped
BACKOFF_CAP = 300.0
IDLE_POLL = 5.0  # the worker also wakes on enqueue; this only bounds a missed wake-up
ROWS_PER_CHANNEL = 200  # due rows read per channel per pass
MAX_INFLIGHT_PER_CHANNEL = 16  # conversations of one channel being delivered at the same time
MIN_WAIT = 0.05  # a due message still in flight must not make the worker spin without yielding
CLAIM_LEASE = 120.0  # seconds a gateway holds a message it is sending (longer than any send takes)


class SendError(Exception):
    """A channel could not deliver a message. `retryable=False` means: don't try again."""

    def __init__(self, message: str = "send failed", retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


# Senders registered with the contract's process-wide form `register_sender(channel, send)`.
# Every app sees them behind its own (`app["outbox_senders"]` is a ChainMap over this dict).
_PROCESS_SENDERS: dict[str, Sender] = {}


def setup(app: web.Application) -> None:
    """Create the outbox's state before the app starts (aiohttp freezes it afterwards)."""
    app["outbox_senders"] = ChainMap({}, _PROCESS_SENDERS)  # this app's senders first
    app["outbox_inflight"] = {}  # conversation id -> delivery task
    app["outbox_inflight_channel"] = {}  # conversation id -> its channel (per-channel cap)
    app["outbox_wake"] = asyncio.Event()
    app["outbox_worker"] = []  # the worker task, once started
    app["outbox_flags"] = {"stopping": False}
    app["outbox_owner"] = uuid.uuid4().hex  # this gateway's name on the messages it claims


def register_sender(app_or_channel, channel_or_send=None, send: Sender | None = None) -> None:
    """Register a channel's send function.

    `register_sender(app, channel, send)` for one app (what connectors.channel.install does), or,
    as docs/CONTRACTS.md writes it, `register_sender(channel, send)` for every app in the process.
    """
    if isinstance(app_or_channel, str):
        _PROCESS_SENDERS[app_or_channel] = channel_or_send
    else:
        app_or_channel["outbox_senders"][channel_or_send] = send


def sender_for(app: web.Application, channel: str) -> Sender | None:
    return app["outbox_senders"].get(channel)


def channels_with_sender(app: web.Application) -> set[str]:
    return set(app["outbox_senders"])


def backoff(attempts: int) -> float:
    """Seconds to wait before attempt `attempts + 1`."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))


def enqueue(app: web.Application, conversation_id: str, text: str | None, *, author: str = "bot",
            buttons: list[dict] | None = None, media: list | None = None,
            agent_id: int | None = None, internal: bool = False, template: dict | None = None) -> dict:
    """Store an outbound message as `queued` and wake the worker. Returns the stored row.

    `internal=True` stores an agent note: kept with the conversation, never sent. `template`: a
    WhatsApp message template (the channel sends it instead of `text`, which is the agents' preview).
    """
    if not text and not media and not template:
        raise store.StoreError("an outbound message needs text or media")
    msg = store.add_message(
        app["db"], conversation_id, direction="out", author=author, text=text,
        status="queued", buttons=buttons, media=media, internal=internal, agent_id=agent_id,
        template=template,
    )
    bus.publish(app, "message", msg)
    wake(app)
    return msg


def wake(app: web.Application) -> None:
    event: asyncio.Event | None = app.get("outbox_wake")
    if event is not None:
        event.set()


def delivery_channel(conv: dict, msg: dict) -> str:
    """The channel a message goes out on: the conversation's, except that an agent's reply in a
    conversation with "reply by email to X" (a web chat left outside business hours) goes by email."""
    if conv.get("reply_email") and conv["channel"] != "email" and msg["author"] == "agent":
        return "email"
    return conv["channel"]


async def _also_live(app: web.Application, conv: dict, msg: dict) -> None:
    """Best effort: an emailed reply also appears in the customer's chat if it is still open."""
    send = sender_for(app, conv["channel"])
    if send is None:
        return
    try:
        await send(app, conv, msg)
    except Exception as exc:  # noqa: BLE001 - the email went out; the chat shows it in its history
        log.info("live copy of %s to %s skipped: %s", msg["id"], conv["channel"], exc)


async def _deliver(app: web.Application, msg: dict) -> None:
    """Send one message; record the outcome. Never raises."""
    db = app["db"]
    conv = store.get_conversation(db, msg["conversation_id"])
    channel = delivery_channel(conv, msg) if conv else None
    send = sender_for(app, channel) if conv else None
    if send is None:
        # The channel is switched off: retry later (settings may come back after a restart).
        attempts = msg["attempts"] + 1
        store.mark_attempt(db, msg["id"])
        if attempts >= MAX_ATTEMPTS:
            store.mark_failed(db, msg["id"], f"no sender for channel {channel!r}")
        else:
            store.mark_retry(db, msg["id"], "channel off", store.later(backoff(attempts)))
        return
    store.mark_attempt(db, msg["id"])
    attempts = msg["attempts"] + 1
    try:
        channel_id = await send(app, conv, msg)
    except SendError as exc:
        stats.count(app, channel, "send_errors", str(exc))
        metrics.send_failure(app, channel)
        retry = exc.retryable and attempts < MAX_ATTEMPTS
        log.warning("send %s via %s failed (attempt %d, %s): %s", msg["id"], channel,
                    attempts, "will retry" if retry else "giving up", exc)
        if retry:
            store.mark_retry(db, msg["id"], str(exc), store.later(backoff(attempts)))
        else:
            store.mark_failed(db, msg["id"], str(exc))
    except Exception as exc:  # an adapter bug: treat as retryable, keep the message
        log.exception("send %s via %s crashed", msg["id"], channel)
        stats.count(app, channel, "send_errors", type(exc).__name__)
        metrics.send_failure(app, channel)
        if attempts < MAX_ATTEMPTS:
            store.mark_retry(db, msg["id"], f"{type(exc).__name__}: {exc}", store.later(backoff(attempts)))
        else:
            store.mark_failed(db, msg["id"], f"{type(exc).__name__}: {exc}")
    else:
        store.mark_sent(db, msg["id"], channel_id)
        stats.count(app, channel, "sent")
        metrics.message(app, channel, "out")
        if channel != conv["channel"]:
            await _also_live(app, conv, msg)
        return
    failed = store.get_message(db, msg["id"])
    bus.publish(app, "message", failed)


async def _send_in_order(app: web.Application, messages: list[dict]) -> None:
    db, owner = app["db"], app["outbox_owner"]
    for msg in messages:
        if not store.claim_outbound(db, msg["id"], owner, CLAIM_LEASE):
            break  # another gateway is sending this conversation's messages
        fresh = store.get_message(db, msg["id"])
        if fresh is None or fresh["status"] != "queued":
            store.release_outbound(db, msg["id"], owner)
            continue  # sent by another gateway between our read and our claim
        try:
            await _deliver(app, fresh)
        finally:
            store.release_outbound(db, msg["id"], owner)
        current = store.get_message(app["db"], msg["id"])
        if current and current["status"] == "queued":
            break  # keep the conversation's order: later messages wait for this retry


def _dispatch(app: web.Application) -> tuple[list[asyncio.Task], bool]:
    """Start a delivery task for every conversation with a due message and none in flight.

    Only due rows come back from the store (backed-off and in-flight ones stay in the database),
    at most `ROWS_PER_CHANNEL` per channel, and each channel gets at most
    `MAX_INFLIGHT_PER_CHANNEL` conversations in flight: a slow or dead channel can neither hide
    another channel's replies nor take every thread of the executor. Returns the tasks started
    and whether due rows may be left over (then the worker looks again at once).
    """
    inflight: dict[str, asyncio.Task] = app["outbox_inflight"]
    channel_of: dict[str, str] = app["outbox_inflight_channel"]
    busy = Counter(channel_of.values())
    per_channel: dict[str, dict[str, list[dict]]] = {}
    for msg in store.due_outbound(app["db"], ROWS_PER_CHANNEL, busy=list(inflight)):
        channel = msg.pop("channel")
        per_channel.setdefault(channel, {}).setdefault(msg["conversation_id"], []).append(msg)
    tasks: list[asyncio.Task] = []
    more = False
    for channel, conversations in per_channel.items():
        room = MAX_INFLIGHT_PER_CHANNEL - busy[channel]
        rows = sum(len(msgs) for msgs in conversations.values())
        for cid, msgs in conversations.items():
            if room <= 0:
                break  # the rest waits for a slot; a finishing delivery wakes the worker
            tasks.append(_start_delivery(app, cid, channel, msgs))
            room -= 1
        if room > 0 and rows >= ROWS_PER_CHANNEL:
            more = True  # the query was cut off: there may be more due conversations
    return tasks, more and bool(tasks)


def _start_delivery(app: web.Application, cid: str, channel: str, msgs: list[dict]) -> asyncio.Task:
    inflight: dict[str, asyncio.Task] = app["outbox_inflight"]
    channel_of: dict[str, str] = app["outbox_inflight_channel"]
    task = asyncio.create_task(_send_in_order(app, msgs), name=f"outbox:{cid}")
    inflight[cid] = task
    channel_of[cid] = channel

    def done(_t: asyncio.Task) -> None:
        inflight.pop(cid, None)
        channel_of.pop(cid, None)
        wake(app)  # more may have been queued for this conversation meanwhile, or a slot freed

    task.add_done_callback(done)
    return task


async def run_once(app: web.Application) -> int:
    """Send every message that is due now and wait for the outcome. Returns how many tasks ran."""
    ran = 0
    while True:
        tasks, _more = _dispatch(app)
        if not tasks:
            return ran
        ran += len(tasks)
        await asyncio.gather(*tasks)


def _seconds_until(ts: str | None) -> float:
    if ts is None:
        return IDLE_POLL
    delta = (datetime.fromisoformat(ts) - datetime.fromisoformat(store.now())).total_seconds()
    return max(MIN_WAIT, min(IDLE_POLL, delta))


async def worker(app: web.Application) -> None:
    """Deliver forever: wake on enqueue, when a delivery ends, or when the next retry is due.

    While sends are in flight or messages wait for their retry, it sleeps: in-flight
    conversations and rows that are not due yet never count as work to do now.
    """
    event: asyncio.Event = app["outbox_wake"]
    while not app["outbox_flags"]["stopping"]:
        event.clear()
        more = False
        try:
            _tasks, more = _dispatch(app)
            next_due = store.next_outbound_due_at(app["db"], busy=list(app["outbox_inflight"]))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox pass failed")
            await asyncio.sleep(1)
            continue
        if more or event.is_set():
            await asyncio.sleep(0)  # let the started deliveries run before looking again
            continue
        try:
            async with asyncio.timeout(_seconds_until(next_due)):  # not wait_for: see stop()
                await event.wait()
        except TimeoutError:
            pass


async def start(app: web.Application) -> None:
    """on_startup hook: resume `queued` messages left by a previous run, then keep sending."""
    app["outbox_worker"].append(asyncio.create_task(worker(app), name="outbox"))


async def stop(app: web.Application) -> None:
    """Stop the worker first, then the deliveries in flight (their rows stay `queued`: resumed later).

    In this order because a cancelled delivery wakes the worker, and Python 3.11's `wait_for`
    swallows a cancellation that arrives together with the wake-up: the worker then never ended.
    """
    app["outbox_flags"]["stopping"] = True
    for group in (list(app["outbox_worker"]), list(app["outbox_inflight"].values())):
        for task in group:
            task.cancel()
        await asyncio.gather(*group, return_exceptions=True)
    app["outbox_worker"].clear()
