"""Fixtures for the agent console: a real gateway app on a real SQLite file, agents, conversations."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from connectors import handoff, hours, store
from connectors.console import accounts
from support.waiting import free_port  # noqa: F401  (re-exported for the console tests)

PASSWORD = "correct horse battery"




@dataclass
class Gateway:
    app: object
    server: TestServer

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def db(self):
        return self.app["db"]


@pytest.fixture
async def gateway(tmp_path):
    """The real gateway app (console included), Rasa pointed at a closed port unless a test says otherwise."""
    from connectors.app import create_app

    app = create_app({"HELPDESK_DB": str(tmp_path / "helpdesk.db"),
                      "RASA_URL": f"http://127.0.0.1:{free_port()}"})
    app["business_hours"] = hours.parse("always")  # tests about hours set their own
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield Gateway(app, server)
    await server.close()


def make_agent(db, email: str, role: str = "agent", name: str | None = None) -> dict:
    return accounts.add(db, email, name or email.split("@")[0].title(), PASSWORD, role)


def make_pending(app, channel: str = "web", identity: str = "visitor-1", text: str = "ik wil een mens",
                 language: str = "nl") -> dict:
    """A conversation the bot escalated, built through the real store and handoff module."""
    db = app["db"]
    contact = store.get_or_create_contact(db, channel, identity)
    conv = store.create_conversation(db, contact["id"], channel, language=language)
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text=text, status="received")
    store.update_conversation(db, conv["id"], last_customer_message_at=msg["created_at"])
    return handoff.escalate(app, conv["id"], "asked")


class Console:
    """An HTTP client logged in as one agent (cookie jar + CSRF token), like the page itself."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.http = ClientSession(cookie_jar=CookieJar(unsafe=True))
        self.csrf: str | None = None

    async def login(self, email: str, password: str = PASSWORD):
        resp = await self.http.post(f"{self.gateway.url}/agent/api/login", json={"email": email, "password": password})
        if resp.status == 200:
            self.csrf = (await resp.json())["csrf"]
        return resp

    async def post(self, path: str, body: dict | None = None, csrf: bool = True):
        headers = {"X-CSRF-Token": self.csrf} if csrf and self.csrf else {}
        return await self.http.post(f"{self.gateway.url}/agent/api{path}", json=body or {}, headers=headers)

    async def get(self, path: str):
        return await self.http.get(f"{self.gateway.url}/agent/api{path}")

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def console_factory(gateway):
    made: list[Console] = []

    def make() -> Console:
        c = Console(gateway)
        made.append(c)
        return c

    yield make
    for c in made:
        await c.close()
