"""The one shape every channel adapter follows, and the shared code around it.

Like Chatwoot's channel services: an adapter only translates its provider's wire format. It says
which settings it needs, how to set itself up, how to send one message and what extra health
details it has. Switching a channel off when its settings are missing, counting what it received
and sent, and reporting it on /healthz happen here, once, for every channel.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from connectors import outbox, stats

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Channel:
    """A channel adapter: what it needs and what it offers (see connectors/channels/*/adapter.py)."""

    name: str
    send: outbox.Sender
    required: tuple[str, ...] = ()  # settings without which the channel is off
    setup: Callable[[web.Application], None] | None = None  # state, tasks; runs only when on
    routes: Callable[[web.Application], None] | None = None  # mounted even when off (webhooks: 503, not 404)
    health: Callable[[web.Application], dict[str, Any]] | None = None  # adapter-specific /healthz details
    # Email: one bot turn is one mail (several short mails for one question look like spam).
    one_message_per_turn: bool = False


def setup(app: web.Application) -> None:
    """Create the shared channel state before the app starts (aiohttp freezes it afterwards)."""
    app["channels"] = {}  # name -> Channel, for the channels that are on
    app["channel_status"] = {}  # name -> short reason it is off
    app["one_message_per_turn"] = set()  # channels whose bot replies of one turn are joined
    stats.setup(app)


def missing_settings(app: web.Application, channel: Channel) -> list[str]:
    return [name for name in channel.required if not app["settings"].get(name)]


def install(app: web.Application, channel: Channel) -> bool:
    """Mount a channel: on when its settings are there, else off with one log line and a reason."""
    if channel.routes is not None:
        channel.routes(app)
    stats.register(app, channel.name)
    if channel.one_message_per_turn:
        app["one_message_per_turn"].add(channel.name)
    missing = missing_settings(app, channel)
    if missing:
        reason = f"missing settings: {', '.join(missing)}"
        log.info("channel %s off: %s", channel.name, reason)
        app["channel_status"][channel.name] = reason
        return False
    if channel.setup is not None:
        channel.setup(app)
    app["channels"][channel.name] = channel
    outbox.register_sender(app, channel.name, channel.send)
    return True


def report(app: web.Application) -> dict[str, dict[str, Any]]:
    """Each known channel for /healthz: on/off, the reason when off, counters and details when on."""
    names = set(app["channel_stats"]) | outbox.channels_with_sender(app)
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(names):
        entry: dict[str, Any] = {"on": name in outbox.channels_with_sender(app)}
        if not entry["on"]:
            entry["reason"] = app["channel_status"].get(name, "not configured")
        else:
            entry.update(stats.of(app, name))
            channel = app["channels"].get(name)
            if channel is not None and channel.health is not None:
                entry.update({k: v for k, v in channel.health(app).items() if k != "on"})
        out[name] = entry
    return out
