"""Operations tests (metrics, reports, CSAT, gaps, privacy, log redaction): real gateways on free
loopback ports with their own SQLite files; the bot tests use the shared `rasa_stack`."""
from __future__ import annotations

import asyncio
import time

from gateway.conftest import bot_stack, free_port, running_gateway  # noqa: F401  (fixtures reused)


async def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pytest_configure(config) -> None:
    config.addinivalue_line("filterwarnings", "ignore::aiohttp.web.NotAppKeyWarning")
