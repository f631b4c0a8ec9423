"""Console auth against the real gateway: sessions, CSRF, origin, roles, double take, login limits."""
from __future__ import annotations

import aiohttp
import pytest

from connectors import store
from connectors.console import auth

from .conftest import PASSWORD, make_agent, make_pending


async def test_api_and_ws_refused_without_session(gateway, console_factory):
    conv = make_pending(gateway.app)
    anon = console_factory()
    for path in ("/me", "/queue", f"/conversations/{conv['id']}", f"/conversations/{conv['id']}/suggestions"):
        resp = await anon.get(path)
        assert resp.status == 401, path
        assert (await resp.json())["error"] == "unauthenticated"
    for action in ("take", "reply", "note", "handback", "close"):
        resp = await anon.post(f"/conversations/{conv['id']}/{action}", {"text": "hi"})
        assert resp.status == 401, action
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await anon.http.ws_connect(f"{gateway.url}/agent/ws", headers={"Origin": gateway.url})
    assert err.value.status == 401
    assert store.require_conversation(gateway.db, conv["id"])["state"] == "pending"  # nothing changed


async def test_wrong_password_and_unknown_email(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    c = console_factory()
    resp = await c.login("ann@shop.be", "wrong password!")
    assert resp.status == 401
    assert (await resp.json())["error"] == "bad_credentials"
    assert auth.COOKIE not in {m.key for m in c.http.cookie_jar}
    resp = await c.login("nobody@shop.be")
    assert resp.status == 401
    resp = await c.login("ann@shop.be")
    assert resp.status == 200
    body = await resp.json()
    assert body["agent"]["email"] == "ann@shop.be" and "password_hash" not in body["agent"]
    assert (await c.get("/me")).status == 200


async def test_cookie_flags_and_hashed_storage(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    c = console_factory()
    resp = await c.login("ann@shop.be")
    cookie = resp.cookies[auth.COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/agent"
    assert not cookie["secure"]  # PUBLIC_URL is http here; https would set Secure
    rows = list(gateway.db["agent_sessions"].rows)
    assert len(rows) == 1 and rows[0]["token_hash"] != cookie.value
    assert rows[0]["token_hash"] == auth._hash(cookie.value)


async def test_csrf_missing_or_wrong_is_403_and_changes_nothing(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    conv = make_pending(gateway.app)
    c = console_factory()
    await c.login("ann@shop.be")
    resp = await c.post(f"/conversations/{conv['id']}/take", csrf=False)
    assert resp.status == 403 and (await resp.json())["error"] == "csrf"
    resp = await c.http.post(f"{gateway.url}/agent/api/conversations/{conv['id']}/take",
                             headers={"X-CSRF-Token": "forged"})
    assert resp.status == 403
    assert store.require_conversation(gateway.db, conv["id"])["state"] == "pending"
    resp = await c.post("/logout", csrf=False)
    assert resp.status == 403 and (await c.get("/me")).status == 200  # still logged in
    resp = await c.post(f"/conversations/{conv['id']}/take")
    assert resp.status == 200
    assert store.require_conversation(gateway.db, conv["id"])["state"] == "agent"


async def test_ws_origin_check_and_live_frames(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    c = console_factory()
    await c.login("ann@shop.be")
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await c.http.ws_connect(f"{gateway.url}/agent/ws", headers={"Origin": "https://evil.example"})
    assert err.value.status == 403
    ws = await c.http.ws_connect(f"{gateway.url}/agent/ws", headers={"Origin": gateway.url})
    assert (await ws.receive_json(timeout=5))["type"] == "hello"
    conv = make_pending(gateway.app)
    seen = set()
    while ("conversation", "pending") not in seen:
        frame = await ws.receive_json(timeout=5)
        seen.add((frame["type"], frame.get("state")))
        assert "text" not in frame  # hints only; details come from the API
    assert frame["conversation_id"] == conv["id"]
    await c.post("/logout")
    msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert (await c.get("/queue")).status == 401


async def test_other_agents_conversation_is_403_but_admin_may(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    make_agent(gateway.db, "bob@shop.be")
    make_agent(gateway.db, "boss@shop.be", role="admin")
    conv = make_pending(gateway.app)
    ann, bob, boss = console_factory(), console_factory(), console_factory()
    for c, email in ((ann, "ann@shop.be"), (bob, "bob@shop.be"), (boss, "boss@shop.be")):
        assert (await c.login(email)).status == 200
    assert (await ann.post(f"/conversations/{conv['id']}/take")).status == 200
    for action, body in (("reply", {"text": "hallo"}), ("note", {"text": "n"}), ("handback", {}), ("close", {})):
        resp = await bob.post(f"/conversations/{conv['id']}/{action}", body)
        assert resp.status == 403, action
        assert (await resp.json())["error"] == "forbidden"
    detail = await (await bob.get(f"/conversations/{conv['id']}")).json()
    assert detail["permissions"]["reply"] is False and "Ann" in detail["notice"]
    assert [m for m in store.list_messages(gateway.db, conv["id"], include_internal=True)
            if m["author"] == "agent"] == []
    # bob's queue doesn't list ann's conversation; the admin's does
    assert (await (await bob.get("/queue")).json())["mine"] == []
    assert [c["id"] for c in (await (await boss.get("/queue")).json())["mine"]] == [conv["id"]]
    resp = await boss.post(f"/conversations/{conv['id']}/reply", {"text": "Bonjour, ik help je verder."})
    assert resp.status == 201
    resp = await boss.post(f"/conversations/{conv['id']}/close")
    assert resp.status == 200
    closed = [e for e in store.list_events(gateway.db, conv["id"]) if e["type"] == "closed"]
    boss_id = store._row(gateway.db, "SELECT id FROM agents WHERE email='boss@shop.be'")["id"]
    assert closed[0]["actor"] == f"agent:{boss_id}"


async def test_double_take_second_agent_gets_409(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    make_agent(gateway.db, "bob@shop.be")
    conv = make_pending(gateway.app)
    ann, bob = console_factory(), console_factory()
    await ann.login("ann@shop.be")
    await bob.login("bob@shop.be")
    import asyncio

    first, second = await asyncio.gather(ann.post(f"/conversations/{conv['id']}/take"),
                                         bob.post(f"/conversations/{conv['id']}/take"))
    assert sorted([first.status, second.status]) == [200, 409]
    loser = second if second.status == 409 else first
    assert "another agent" in (await loser.json())["message"]
    taken = [e for e in store.list_events(gateway.db, conv["id"]) if e["type"] == "taken"]
    assert len(taken) == 1


async def test_store_transition_is_compare_and_set(gateway):
    conv = make_pending(gateway.app)
    assert store.transition(gateway.db, conv["id"], ("pending",), state="agent", assigned_agent_id=1)
    assert store.transition(gateway.db, conv["id"], ("pending",), state="agent", assigned_agent_id=2) is None
    assert store.require_conversation(gateway.db, conv["id"])["assigned_agent_id"] == 1


async def test_failed_logins_are_limited(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    c = console_factory()
    for _ in range(auth.MAX_FAILURES):
        assert (await c.login("ann@shop.be", "not the password")).status == 401
    resp = await c.login("ann@shop.be", PASSWORD)  # even the right password waits now
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0


async def test_bad_input_gets_clear_errors(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    conv = make_pending(gateway.app)
    c = console_factory()
    resp = await c.http.post(f"{gateway.url}/agent/api/login", data="email=x")
    assert resp.status == 400
    await c.login("ann@shop.be")
    await c.post(f"/conversations/{conv['id']}/take")
    for body in ({}, {"text": "   "}, {"text": 42}, {"text": "x" * 5000}):
        resp = await c.post(f"/conversations/{conv['id']}/reply", body)
        assert resp.status == 400, body
        assert (await resp.json())["message"]
    resp = await c.post("/conversations/does-not-exist/take")
    assert resp.status == 404
    assert [m for m in store.list_messages(gateway.db, conv["id"]) if m["author"] == "agent"] == []


async def test_login_from_foreign_origin_refused(gateway, console_factory):
    make_agent(gateway.db, "ann@shop.be")
    c = console_factory()
    resp = await c.http.post(f"{gateway.url}/agent/api/login", json={"email": "ann@shop.be", "password": PASSWORD},
                             headers={"Origin": "https://evil.example"})
    assert resp.status == 403
