"""The gateway's aiohttp application: wiring only (settings, store, outbox, channels, health).

`create_app()` builds the app; `python -m connectors` / `helpdesk gateway` serve it alone and
`helpdesk up` serves it next to Rasa and the action server.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import datetime, timezone
import warnings
from typing import Any

import aiohttp
from aiohttp import web

from connectors import bus, channel, channels, console, flow, metrics, outbox, rasa_client, retention, shops, store
from connectors.console import auth as console_auth
from helpdesk import redact
from helpdesk.settings import Settings
from helpdesk.tokens import install_token
from helpdesk.settings import load as load_settings

log = logging.getLogger(__name__)

# The contract names app state by string keys (app["db"], app["settings"]): keep them, quietly.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning)


def resolve_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The gateway's settings: environment / `.env` (helpdesk.settings), then `overrides`."""
    return load_settings(overrides)


def create_app(settings: dict[str, Any] | None = None) -> web.Application:
    """Build the gateway. `settings` override the environment (tests pass DB path and URLs)."""
    redact.install()  # logs never hold emails, phone numbers, plates or order numbers
    app = web.Application(client_max_size=1024 * 1024)
    app["settings"] = resolve_settings(settings)
    _check_shops(app)
    app["db"] = store.open_configured(app["settings"])
    app["rasa_token"] = install_token("RASA_TOKEN", app["settings"])  # Rasa's API: trackers, hand-back
    bus.setup(app)
    outbox.setup(app)
    flow.setup(app)
    channel.setup(app)
    metrics.setup(app)
    retention.setup(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/agent/healthz", healthz)  # under the console's cookie path: an admin's browser sends it
    for adapter in channels.ALL:
        channel.install(app, adapter)
    console.setup(app)
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    return app


class ShopsFileError(SystemExit):
    """The shops file is missing or broken at start: every message needs a shop, so refuse to run
    (exit code 2 with every FILE:LINE problem) rather than fail on each customer's message."""


def _check_shops(app: web.Application) -> None:
    from helpdesk.shops import ShopsError

    try:
        loaded = shops.all_shops(app)
    except ShopsError as exc:
        raise ShopsFileError(f"shops file problems (helpdesk shops check):\n{exc}") from None
    log.info("%d shop(s) from %s, default %s", len(loaded.shops), loaded.file, loaded.default_shop)


async def _start(app: web.Application) -> None:
    app["http"] = aiohttp.ClientSession()
    # Load the language model now (~5 s, off the event loop), not on the first customer's message.
    await asyncio.get_running_loop().run_in_executor(None, flow.detect_language, "hallo", None)
    await outbox.start(app)
    await flow.resume(app)


async def _stop(app: web.Application) -> None:
    await flow.stop(app)
    await outbox.stop(app)
    await app["http"].close()
    app["db"].conn.close()


channel_report = channel.report


def may_see_health_details(request: web.Request) -> bool:
    """HEALTH_TOKEN (Authorization: Bearer or ?token=) or a logged-in admin's console session.

    Why: the details name file paths, internal URLs and the last send error, which can hold a
    customer's address; anyone may learn whether the service is up, not how it is built.
    """
    token = request.app["settings"].HEALTH_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else request.query.get("token", "")
        if given and hmac.compare_digest(given.encode(), token.encode()):
            return True
    found = console_auth.lookup(request.app["db"], request.cookies.get(console_auth.COOKIE))
    return bool(found) and found[1].get("role") == "admin"


async def healthz(request: web.Request) -> web.Response:
    """`{"status": "ok"|"degraded"}`, HTTP 200 when db, Rasa and actions are up, else 503.

    Every component's details only for HEALTH_TOKEN or a logged-in admin (may_see_health_details).
    """
    app = request.app
    settings = app["settings"]
    try:
        app["db"].execute("SELECT 1").fetchone()
        db_ok = True
    except Exception:  # a broken database must show here, not crash the probe
        db_ok = False
    rasa_urls = rasa_client.servers(settings["RASA_URL"])
    rasa_each = await asyncio.gather(*(rasa_client.healthy(app["http"], url, "/status", app["rasa_token"]) for url in rasa_urls))
    rasa_ok = bool(rasa_each) and all(rasa_each)
    actions_ok = await rasa_client.healthy(app["http"], settings["ACTIONS_URL"], "/health")
    inbound = _inbound_health(app) if db_ok else {"ok": False}
    status = "ok" if (db_ok and rasa_ok and actions_ok and inbound["ok"]) else "degraded"
    code = 200 if status == "ok" else 503
    if not may_see_health_details(request):
        return web.json_response({"status": status}, status=code)
    body = {
        "status": status,
        "gateway": {"ok": True},
        "db": {"ok": db_ok, "path": str(settings["HELPDESK_DB"])},
        "rasa": {"ok": rasa_ok, "url": settings["RASA_URL"],
                 "servers": [{"url": url, "ok": ok} for url, ok in zip(rasa_urls, rasa_each)]},
        "actions": {"ok": actions_ok, "url": settings["ACTIONS_URL"]},
        "inbound": inbound,
        "channels": channel_report(app),
    }
    return web.json_response(body, status=code)


def _inbound_health(app: web.Application) -> dict[str, Any]:
    """Inbound messages still unrouted after the sweep's grace; any older than an hour = degraded."""
    now = datetime.now(timezone.utc)
    late = store.unrouted_inbound_stats(app["db"], (now - flow.SWEEP_GRACE).isoformat(timespec="milliseconds"))
    stale = store.unrouted_inbound_stats(app["db"], (now - flow.RESUME_WINDOW).isoformat(timespec="milliseconds"))
    return {"ok": stale["count"] == 0, "unrouted": late["count"], "oldest_unrouted": late["oldest"],
            "unrouted_over_an_hour": stale["count"]}


def run(settings: dict[str, Any] | None = None) -> None:
    """Serve the gateway alone (blocking) on HELPDESK_HOST:HELPDESK_PORT."""
    app = create_app(settings)
    web.run_app(app, host=app["settings"]["HELPDESK_HOST"], port=int(app["settings"]["HELPDESK_PORT"]),
                print=lambda *_: None, access_log=None)
