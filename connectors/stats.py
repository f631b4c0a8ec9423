"""Per-channel counters shared by every adapter: the flow counts receipts, the outbox counts sends.

A leaf module (no gateway imports), so the flow, the outbox and the channel registry can all use
it without importing each other.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

KEYS = ("received", "duplicates", "sent", "send_errors")


def setup(app: web.Application) -> None:
    app["channel_stats"] = {}


def register(app: web.Application, name: str) -> None:
    app["channel_stats"].setdefault(name, {**{k: 0 for k in KEYS}, "last_error": None})


def count(app: web.Application, name: str, key: str, error: str | None = None) -> None:
    """Bump one counter of a channel; `error` (a short reason, no message text) is kept as the last."""
    stats = app.get("channel_stats", {}).get(name)
    if stats is None:
        return
    stats[key] = stats.get(key, 0) + 1
    if error is not None:
        stats["last_error"] = error[:300]


def of(app: web.Application, name: str) -> dict[str, Any]:
    return dict(app.get("channel_stats", {}).get(name, {}))
