"""In-process pub/sub for live updates (widget sockets, agent console sockets).

The store is the truth; the bus only tells open sockets that something changed. A subscriber
that falls behind loses the oldest updates (and can reload from the store), so one stuck socket
never slows the gateway down.

Topics: `message` (a stored message row), `conversation` (a conversation row after a change),
`typing` (`{"conversation_id", "on"}`), `web_frame` (`{"conversation_id", "frame"}`: a reply
another gateway delivered, for this gateway's widget sockets; only ever published remotely).

With REDIS_URL the bus also fans out over Redis pub/sub (one channel, `helpdesk:bus`), so several
gateways behind one load balancer see each other's updates: a widget on gateway A gets the agent
reply sent through gateway B, and every console is live. Each gateway tags what it sends with its
own origin id and ignores its own echo; `publish` stays synchronous (a queue feeds the Redis
publisher task), so callers never wait on the network.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Callable

from aiohttp import web

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
REDIS_CHANNEL = "helpdesk:bus"


class Subscription:
    """A queue of `(topic, payload)` pairs, optionally filtered. Use as an async iterator."""

    def __init__(self, topics: set[str] | None, where: Callable[[str, Any], bool] | None) -> None:
        self.topics = topics
        self.where = where
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.dropped = 0

    def offer(self, topic: str, payload: Any) -> None:
        if self.topics is not None and topic not in self.topics:
            return
        if self.where is not None and not self.where(topic, payload):
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait((topic, payload))

    async def get(self) -> tuple[str, Any]:
        return await self.queue.get()

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> tuple[str, Any]:
        return await self.queue.get()


def _subscribers(app: web.Application) -> set[Subscription]:
    subs = app.get("bus")
    if subs is None:
        raise RuntimeError("bus not set up: create the app with connectors.app.create_app")
    return subs


def setup(app: web.Application) -> None:
    app["bus"] = set()
    app["bus_origin"] = uuid.uuid4().hex
    app["bus_outgoing"] = None  # asyncio.Queue to the Redis publisher, once started
    app["bus_tasks"] = []
    settings = app.get("settings")
    if settings is not None and settings.get("REDIS_URL"):
        app.on_startup.append(_start_redis)
        app.on_cleanup.append(_stop_redis)


def _offer_local(app: web.Application, topic: str, payload: Any) -> None:
    for sub in list(_subscribers(app)):
        try:
            sub.offer(topic, payload)
        except Exception:  # a broken filter must not stop the others
            log.exception("bus subscriber failed on topic %s", topic)


def publish(app: web.Application, topic: str, payload: Any) -> None:
    """Deliver `payload` to every matching subscriber without waiting for any of them (and, with
    REDIS_URL, to the other gateways' subscribers)."""
    _offer_local(app, topic, payload)
    publish_remote(app, topic, payload)


def publish_remote(app: web.Application, topic: str, payload: Any) -> None:
    """Only to the other gateways (a no-op without REDIS_URL)."""
    outgoing: asyncio.Queue | None = app.get("bus_outgoing")
    if outgoing is None:
        return
    if outgoing.full():  # Redis is away: drop the oldest; the store stays the truth
        outgoing.get_nowait()
    outgoing.put_nowait(json.dumps({"o": app["bus_origin"], "t": topic, "p": payload}, default=str))


async def _start_redis(app: web.Application) -> None:
    import redis.asyncio as aioredis

    url = app["settings"].REDIS_URL
    app["bus_outgoing"] = asyncio.Queue(QUEUE_SIZE)
    app["bus_tasks"] += [asyncio.create_task(_publisher(app, aioredis.from_url(url)), name="bus:publish"),
                         asyncio.create_task(_listener(app, aioredis.from_url(url)), name="bus:listen")]
    ready = app["bus_listening"] = asyncio.Event()
    try:  # so a message published right after start-up is not missed by this gateway
        await asyncio.wait_for(ready.wait(), 5)
    except asyncio.TimeoutError:
        log.warning("Redis bus not subscribed yet; live updates from other gateways may lag")


async def _stop_redis(app: web.Application) -> None:
    for task in app["bus_tasks"]:
        task.cancel()
    await asyncio.gather(*app["bus_tasks"], return_exceptions=True)
    app["bus_tasks"].clear()


async def _publisher(app: web.Application, client) -> None:
    outgoing: asyncio.Queue = app["bus_outgoing"]
    try:
        while True:
            data = await outgoing.get()
            try:
                await client.publish(REDIS_CHANNEL, data)
            except Exception as exc:  # Redis down: this update is lost to the others, not to us
                log.warning("Redis bus publish failed: %s", type(exc).__name__)
                await asyncio.sleep(1)
    finally:
        await client.aclose()


async def _listener(app: web.Application, client) -> None:
    """Offer other gateways' updates to this gateway's subscribers; reconnect when Redis drops."""
    try:
        while True:
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(REDIS_CHANNEL)
                    app["bus_listening"].set()
                    async for item in pubsub.listen():
                        if item.get("type") != "message":
                            continue
                        try:
                            data = json.loads(item["data"])
                        except (TypeError, ValueError):
                            continue
                        if data.get("o") != app["bus_origin"]:
                            _offer_local(app, data.get("t"), data.get("p"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis bus listener lost its connection (%s); retrying", type(exc).__name__)
                await asyncio.sleep(1)
    finally:
        await client.aclose()


def subscribe(app: web.Application, topics: set[str] | None = None,
              where: Callable[[str, Any], bool] | None = None) -> Subscription:
    """Start receiving updates; call `unsubscribe` when the socket closes."""
    sub = Subscription(topics, where)
    _subscribers(app).add(sub)
    return sub


def unsubscribe(app: web.Application, sub: Subscription) -> None:
    _subscribers(app).discard(sub)


def for_conversation(conversation_id: str) -> Callable[[str, Any], bool]:
    """Filter: only updates about one conversation (a widget socket's view)."""

    def where(topic: str, payload: Any) -> bool:
        if topic == "conversation":
            return payload.get("id") == conversation_id
        return payload.get("conversation_id") == conversation_id

    return where
