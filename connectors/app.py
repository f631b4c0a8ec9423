"""The gateway's aiohttp application: wiring only (settings, store, outbox, channels, health).

`create_app()` builds the app; `python -m connectors` / `helpdesk gateway` serve it alone and
`helpdesk up` serves it next to Rasa and the action server.
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import warnings
from typing import Any

import aiohttp
from aiohttp import web

from connectors import bus, flow, outbox, rasa_client, store

log = logging.getLogger(__name__)

# The contract names app state by string keys (app["db"], app["settings"]): keep them, quietly.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning)


def resolve_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The gateway's settings: environment / `.env` (helpdesk.settings), then `overrides`."""
    from helpdesk import settings

    rasa_port = settings.get_int("RASA_PORT", 5005)
    actions_port = settings.get_int("ACTIONS_PORT", 5055)
    port = settings.get_int("HELPDESK_PORT", 8080)
    resolved: dict[str, Any] = {
        "HELPDESK_DB": settings.db_path(),
        "HELPDESK_HOST": settings.get("HELPDESK_HOST", "127.0.0.1"),
        "HELPDESK_PORT": port,
        "PUBLIC_URL": settings.get("PUBLIC_URL", f"http://127.0.0.1:{port}"),
        "RASA_URL": settings.get("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        "ACTIONS_URL": settings.get("ACTIONS_URL", f"http://127.0.0.1:{actions_port}"),
        "SHOP_NAME": settings.get("SHOP_NAME", "AutoParts Shop"),
        "WEBCHAT_LANGUAGE": settings.get("WEBCHAT_LANGUAGE", "nl"),
        "WEBCHAT_ALLOWED_ORIGINS": settings.get("WEBCHAT_ALLOWED_ORIGINS", "*"),
    }
    resolved.update(overrides or {})
    return resolved


# Channel adapters the gateway switches on when their module exists: module -> channel name.
CHANNEL_MODULES = {
    "connectors.channels.web.adapter": "web",
    "connectors.channels.whatsapp.adapter": "whatsapp",
    "connectors.channels.email.adapter": "email",
}


def _setup_channels(app: web.Application) -> None:
    for module_name, channel in CHANNEL_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            log.info("channel %s: module %s not installed, off", channel, module_name)
            continue
        module.setup(app)


def create_app(settings: dict[str, Any] | None = None) -> web.Application:
    """Build the gateway. `settings` override the environment (tests pass DB path and URLs)."""
    app = web.Application(client_max_size=1024 * 1024)
    app["settings"] = resolve_settings(settings)
    app["db"] = store.open_db(app["settings"]["HELPDESK_DB"])
    app["channel_status"] = {}  # channel -> short reason it is off (adapters fill it)
    bus.setup(app)
    outbox.setup(app)
    flow.setup(app)
    app.router.add_get("/healthz", healthz)
    _setup_channels(app)
    from connectors import console as agent

    agent.setup(app)
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    return app


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


def channel_report(app: web.Application) -> dict[str, dict]:
    """Each known channel: on (a sender is registered) or off, with the adapter's reason."""
    on = outbox.channels_with_sender(app)
    names = set(CHANNEL_MODULES.values()) | on | set(app["channel_status"])
    report = {}
    for name in sorted(names):
        entry: dict[str, Any] = {"on": name in on}
        if name not in on:
            entry["reason"] = app["channel_status"].get(name, "not configured")
        details = app.get("channel_health", {}).get(name)  # adapters' own counters, if they offer any
        if details is not None and name in on:
            entry.update({k: v for k, v in details(app).items() if k != "on"})
        report[name] = entry
    return report


async def healthz(request: web.Request) -> web.Response:
    """Every component as JSON; HTTP 200 when db, Rasa and actions are up, else 503."""
    app = request.app
    settings = app["settings"]
    try:
        app["db"].execute("SELECT 1").fetchone()
        db_ok = True
    except Exception:  # a broken database must show here, not crash the probe
        db_ok = False
    rasa_urls = rasa_client.servers(settings["RASA_URL"])
    rasa_each = await asyncio.gather(*(rasa_client.healthy(app["http"], url, "/status") for url in rasa_urls))
    rasa_ok = bool(rasa_each) and all(rasa_each)
    actions_ok = await rasa_client.healthy(app["http"], settings["ACTIONS_URL"], "/health")
    body = {
        "status": "ok" if (db_ok and rasa_ok and actions_ok) else "degraded",
        "gateway": {"ok": True},
        "db": {"ok": db_ok, "path": str(settings["HELPDESK_DB"])},
        "rasa": {"ok": rasa_ok, "url": settings["RASA_URL"],
                 "servers": [{"url": url, "ok": ok} for url, ok in zip(rasa_urls, rasa_each)]},
        "actions": {"ok": actions_ok, "url": settings["ACTIONS_URL"]},
        "channels": channel_report(app),
    }
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


def run(settings: dict[str, Any] | None = None) -> None:
    """Serve the gateway alone (blocking) on HELPDESK_HOST:HELPDESK_PORT."""
    app = create_app(settings)
    web.run_app(app, host=app["settings"]["HELPDESK_HOST"], port=int(app["settings"]["HELPDESK_PORT"]),
                print=lambda *_: None, access_log=None)
