"""Prometheus metrics of one gateway: counters bumped by the flow, the outbox and the handoff
module, and queue gauges read from the database at scrape time (`GET /metrics`).

Why a registry per app: tests build many apps in one process, and the global registry refuses a
second metric of the same name. With several gateways each exposes its own counters; the gauges
come from the shared database, so every gateway reports the same queue.

Access: with `METRICS_TOKEN` set, a request needs `Authorization: Bearer <token>`; without it,
only loopback clients are served (behind a reverse proxy on the same host, set a token).
"""
from __future__ import annotations

import hmac
import logging
from typing import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
TURN_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class _QueueGauges:
    """Collector reading the outbox queue and conversation states from the database per scrape."""

    def __init__(self, app: web.Application) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        db = self.app["db"]
        queued = GaugeMetricFamily("helpdesk_outbox_queued", "Outbound messages waiting to be sent",
                                   labels=["channel"])
        for channel, n in db.execute(
                "SELECT c.channel, COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                " WHERE m.direction='out' AND m.status='queued' AND m.internal=0 GROUP BY c.channel"):
            queued.add_metric([channel], n)
        yield queued
        states = GaugeMetricFamily("helpdesk_conversations", "Conversations per state", labels=["state"])
        counts = dict(db.execute("SELECT state, COUNT(*) FROM conversations GROUP BY state").fetchall())
        for state in ("bot", "pending", "agent", "closed"):
            states.add_metric([state], counts.get(state, 0))
        yield states


class Metrics:
    """The app's metric objects (one registry)."""

    def __init__(self, app: web.Application) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter("helpdesk_messages", "Messages received and sent",
                                ["channel", "direction"], registry=r)
        self.turn_latency = Histogram("helpdesk_turn_latency_seconds", "Time Rasa took to reply to one message",
                                      ["channel"], buckets=TURN_BUCKETS, registry=r)
        self.faq_decisions = Counter("helpdesk_faq_decisions", "FAQ search decisions of the bot",
                                     ["decision", "lang"], registry=r)
        self.handoffs = Counter("helpdesk_handoffs", "Conversations handed to a person", ["reason"], registry=r)
        self.send_failures = Counter("helpdesk_send_failures", "Failed delivery attempts", ["channel"],
                                     registry=r)
        r.register(_QueueGauges(app))


def setup(app: web.Application) -> None:
    app["metrics"] = Metrics(app)
    app.router.add_get("/metrics", metrics_view)


def _metrics(app: web.Application) -> Metrics | None:
    return app.get("metrics")


# ---------------------------------------------------------------- hooks (one line at each call site)


def message(app: web.Application, channel: str, direction: str) -> None:
    if (m := _metrics(app)) is not None:
        m.messages.labels(channel, direction).inc()


def turn(app: web.Application, channel: str, seconds: float) -> None:
    if (m := _metrics(app)) is not None:
        m.turn_latency.labels(channel).observe(seconds)


def faq_decision(app: web.Application, decision: str, lang: str) -> None:
    if (m := _metrics(app)) is not None:
        m.faq_decisions.labels(decision, lang).inc()


FAQ_DECISIONS = ("answer", "clarify", "none")


def faq_marker(app: web.Application, conversation_id: str, marker: dict, message_id: int | None) -> None:
    """The FAQ action's `custom.faq` marker: a `faq` event (reports, gap report) and a count."""
    from connectors import store

    decision = str(marker.get("decision"))
    if decision not in FAQ_DECISIONS:
        return
    lang = marker.get("lang") if marker.get("lang") in ("nl", "fr") else "nl"
    store.add_event(app["db"], conversation_id, "faq", "bot", {
        "decision": decision, "lang": lang, "id": marker.get("id"), "score": marker.get("score"),
        "message_id": message_id})
    faq_decision(app, decision, lang)


def handoff(app: web.Application, reason: str) -> None:
    if (m := _metrics(app)) is not None:
        m.handoffs.labels(reason).inc()


def send_failure(app: web.Application, channel: str) -> None:
    if (m := _metrics(app)) is not None:
        m.send_failures.labels(channel).inc()


# ---------------------------------------------------------------- endpoint


def allowed(request: web.Request) -> bool:
    """Bearer METRICS_TOKEN when one is set, else loopback clients only."""
    token = request.app["settings"].METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.remote in LOOPBACK


async def metrics_view(request: web.Request) -> web.Response:
    if not allowed(request):
        raise web.HTTPUnauthorized(text="metrics need a token (Authorization: Bearer ...)",
                                   headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(request.app["metrics"].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
