"""Gateway fixtures: a real gateway app on a free loopback port with its own SQLite file."""
from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from connectors.app import create_app
from support.waiting import free_port  # noqa: F401  (re-exported for the gateway tests)




class Gateway:
    """A running gateway: its app (db, settings), base URL and an HTTP session for the test."""

    def __init__(self, app: web.Application, url: str, session: aiohttp.ClientSession) -> None:
        self.app, self.url, self.http = app, url, session

    @property
    def db(self):
        return self.app["db"]

    def ws(self, query: str = "") -> "aiohttp.client._WSRequestContextManager":
        return self.http.ws_connect(f"{self.url}/ws/chat{query}")


@asynccontextmanager
async def running_gateway(db_path: Path, **settings) -> AsyncIterator[Gateway]:
    port = free_port()
    defaults = {"HELPDESK_DB": str(db_path), "HELPDESK_PORT": port,
                # Nothing listens here unless a test passes a real Rasa URL.
                "RASA_URL": f"http://127.0.0.1:{free_port()}",
                "ACTIONS_URL": f"http://127.0.0.1:{free_port()}"}
    defaults.update(settings)
    app = create_app(defaults)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Gateway(app, f"http://127.0.0.1:{port}", session)
    finally:
        await runner.cleanup()


class _ExternalStack:
    """A Rasa stack someone already runs (GATEWAY_TEST_STACK=urls.json): fast local iteration."""

    def __init__(self, urls: dict) -> None:
        self.rasa_url, self.actions_url, self.orders_db = urls["rasa_url"], urls["actions_url"], urls["orders_db"]

    def tracker(self, sender: str) -> dict:
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30) as resp:
            return json.loads(resp.read())


@pytest.fixture(scope="session")
def bot_stack(request):
    """The real Rasa + action server: the shared `rasa_stack`, or the one named by GATEWAY_TEST_STACK."""
    import json
    import os

    urls = os.environ.get("GATEWAY_TEST_STACK")
    if urls:
        return _ExternalStack(json.loads(Path(urls).read_text()))
    return request.getfixturevalue("rasa_stack")


@pytest.fixture
async def gateway(tmp_path) -> AsyncIterator[Gateway]:
    """A gateway whose Rasa is unreachable (tests that never reach the bot)."""
    async with running_gateway(tmp_path / "helpdesk.db") as gw:
        yield gw


async def frames_until(ws, predicate, limit: int = 30, timeout: float = 30.0) -> list[dict]:
    """Read frames until one satisfies `predicate`; return all read. Fails on timeout/close."""
    seen = []
    for _ in range(limit):
        frame = await ws.receive_json(timeout=timeout)
        seen.append(frame)
        if predicate(frame):
            return seen
    raise AssertionError(f"no matching frame in {seen}")


def pytest_configure(config) -> None:
    # The contract names app state by string keys (app["db"]): aiohttp's advice is noise here.
    config.addinivalue_line("filterwarnings", "ignore::aiohttp.web.NotAppKeyWarning")


def start_gateway_process(db_path: Path, port: int, stack, log_path: Path):
    """`python -m connectors` as a real subprocess (so a test can kill -9 it)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from helpdesk.paths import ROOT

    env = dict(os.environ, HELPDESK_DB=str(db_path), HELPDESK_PORT=str(port),
               RASA_URL=stack.rasa_url, ACTIONS_URL=stack.actions_url, PYTHONPATH=str(ROOT))
    log = open(log_path, "ab")
    proc = subprocess.Popen([sys.executable, "-m", "connectors"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except urllib.error.HTTPError as exc:
            if exc.code == 503:
                return proc
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gateway not up in 60 s:\n{log_path.read_text()[-3000:]}")
