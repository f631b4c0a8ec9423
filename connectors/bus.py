"""In-process pub/sub for live updates (widget sockets, agent console sockets).

The store is the truth; the bus only tells open sockets that something changed. A subscriber
that falls behind loses the oldest updates (and can reload from the store), so one stuck socket
never slows the gateway down.

Topics: `message` (a stored message row), `conversation` (a conversation row after a change),
`typing` (`{"conversation_id", "on"}`).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from aiohttp import web

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000


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


def publish(app: web.Application, topic: str, payload: Any) -> None:
    """Deliver `payload` to every matching subscriber without waiting for any of them."""
    for sub in list(_subscribers(app)):
        try:
            sub.offer(topic, payload)
        except Exception:  # a broken filter must not stop the others
            log.exception("bus subscriber failed on topic %s", topic)


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
