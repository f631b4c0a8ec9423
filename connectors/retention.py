"""The gateway's daily retention job: forget closed conversations older than RETENTION_DAYS.

Runs once shortly after start, then every 24 hours (connectors/privacy.py does the work). With
several gateways each runs it; forgetting twice changes nothing.
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from connectors import privacy

log = logging.getLogger(__name__)

INTERVAL = 24 * 3600.0
FIRST_DELAY = 60.0  # let the gateway warm up first


async def run_once(app: web.Application) -> dict:
    settings = app["settings"]
    return await privacy.apply_retention(app["db"], settings.RETENTION_DAYS, settings.RASA_URL, settings.ORDERS_DB)


async def _loop(app: web.Application, first_delay: float) -> None:
    await asyncio.sleep(first_delay)
    while True:
        try:
            await run_once(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention job failed; next try in 24 h")
        await asyncio.sleep(INTERVAL)


def setup(app: web.Application, first_delay: float = FIRST_DELAY) -> None:
    app["retention_task"] = []

    async def start(app: web.Application) -> None:
        app["retention_task"].append(asyncio.create_task(_loop(app, first_delay), name="retention"))

    async def stop(app: web.Application) -> None:
        for task in app["retention_task"]:
            task.cancel()
        await asyncio.gather(*app["retention_task"], return_exceptions=True)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
