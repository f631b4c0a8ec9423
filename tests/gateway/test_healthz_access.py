"""/healthz (issue 12): anyone learns ok/degraded; paths, URLs and errors only with HEALTH_TOKEN or as admin.

Real gateway app and SQLite file, real console login (agents made through connectors.console.accounts).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import aiohttp

from connectors import store
from connectors.console import accounts

from .conftest import HEALTH_TOKEN

PASSWORD = "correct horse battery staple"


async def _health(gateway, **kwargs) -> tuple[int, dict]:
    async with gateway.http.get(f"{gateway.url}/healthz", **kwargs) as resp:
        return resp.status, await resp.json()


async def _login(gateway, email: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(f"{gateway.url}/agent/api/login", json={"email": email, "password": PASSWORD},
                            headers={"Origin": gateway.url}) as resp:
        assert resp.status == 200, await resp.text()
    return session


async def test_without_token_only_the_status(gateway):
    assert await _health(gateway) == (503, {"status": "degraded"})  # Rasa is not running here
    assert await _health(gateway, params={"token": "wrong"}) == (503, {"status": "degraded"})
    assert await _health(gateway, headers={"Authorization": "Bearer wrong"}) == (503, {"status": "degraded"})


async def test_token_in_header_or_query_shows_details(gateway):
    for kwargs in ({"headers": {"Authorization": f"Bearer {HEALTH_TOKEN}"}}, {"params": {"token": HEALTH_TOKEN}}):
        status, body = await _health(gateway, **kwargs)
        assert status == 503 and body["status"] == "degraded"
        assert body["db"]["path"].endswith("helpdesk.db") and body["rasa"]["ok"] is False
        assert body["inbound"] == {"ok": True, "unrouted": 0, "oldest_unrouted": None, "unrouted_over_an_hour": 0}


async def test_admin_session_shows_details_agent_session_does_not(gateway):
    accounts.add(gateway.db, "boss@shop.be", "Boss", PASSWORD, "admin")
    accounts.add(gateway.db, "ann@shop.be", "Ann", PASSWORD, "agent")
    # The console cookie's path is /agent, so the browser sends it to /agent/healthz.
    async with await _login(gateway, "boss@shop.be") as admin:
        async with admin.get(f"{gateway.url}/agent/healthz") as resp:
            assert "channels" in await resp.json()
    async with await _login(gateway, "ann@shop.be") as agent:
        async with agent.get(f"{gateway.url}/agent/healthz") as resp:
            assert await resp.json() == {"status": "degraded"}
    async with gateway.http.get(f"{gateway.url}/agent/healthz") as resp:
        assert await resp.json() == {"status": "degraded"}


async def test_message_unrouted_for_over_an_hour_is_flagged(gateway):
    contact = store.get_or_create_contact(gateway.db, "web", "v")
    conv = store.create_conversation(gateway.db, contact["id"], "web")
    msg = store.add_message(gateway.db, conv["id"], direction="in", author="customer", text="hallo?",
                            status="received")
    old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="milliseconds")
    gateway.db.execute("UPDATE messages SET created_at=? WHERE id=?", (old, msg["id"]))
    _, body = await _health(gateway, params={"token": HEALTH_TOKEN})
    assert body["inbound"]["ok"] is False and body["inbound"]["unrouted_over_an_hour"] == 1
    assert body["inbound"]["oldest_unrouted"] == old
