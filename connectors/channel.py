"""Settings lookup and the "off when not configured" rule shared by the channel adapters."""
from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


def setting(app: web.Application, name: str, default: str | None = None) -> str | None:
    """App settings (tests and `create_app` overrides) first, then the environment / `.env`."""
    value = app["settings"].get(name) if "settings" in app else None
    if value in (None, ""):
        from helpdesk import settings

        value = settings.get(name, default)
    return str(value) if value not in (None, "") else default


def switched_off(app: web.Application, channel: str, required: list[str] | tuple[str, ...]) -> bool:
    """True (after one log line and a reason for /healthz) when a required setting is missing:
    a channel without its settings is off, never a crash."""
    missing = [name for name in required if not setting(app, name)]
    if not missing:
        return False
    reason = f"missing settings: {', '.join(missing)}"
    log.info("channel %s off: %s", channel, reason)
    app["channel_status"][channel] = reason
    return True
