"""/ws/chat without the bot: session frames, tokens, bad input, state routing, health."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from connectors import flow, store
from support.waiting import settle, wait_until

from .conftest import frames_until


def _materialize(gw, session: dict) -> dict:
    """Store the conversation a session frame announced, as the first message would."""
    token_hash = store.hash_token(session["token"])
    return flow.conversation_for(gw.app, "web", token_hash, token_hash=token_hash,
                                 conversation_id=session["conversation_id"])


def _set_state(gw, session: dict, state: str) -> None:
    """Put a conversation with the agents directly (the console's handoff notices stay out)."""
    from connectors import bus

    cid = _materialize(gw, session)["id"]
    conv = store.update_conversation(gw.db, cid, state=state)
    bus.publish(gw.app, "conversation", conv)


async def _open(gw, query: str = ""):
    ws = await gw.http.ws_connect(f"{gw.url}/ws/chat{query}")
    session = await ws.receive_json(timeout=10)
    assert session["type"] == "session", session  # always the first frame
    history = await ws.receive_json(timeout=10)
    state = await ws.receive_json(timeout=10)
    assert history["type"] == "history", history
    assert state["type"] == "state" and state["state"] in store.STATES, state
    return ws, session, history


async def test_first_frame_is_session_and_token_is_not_stored_in_clear(gateway):
    ws, session, history = await _open(gateway)
    assert set(session) == {"type", "conversation_id", "token"}
    assert history["messages"] == []
    assert store.get_conversation(gateway.db, session["conversation_id"]) is None  # nothing sent yet
    _materialize(gateway, session)
    conv = store.get_conversation(gateway.db, session["conversation_id"])
    assert conv["channel"] == "web" and conv["state"] == "bot"
    assert conv["token_hash"] == store.hash_token(session["token"]) != session["token"]
    await ws.close()


async def test_reconnect_with_token_resumes_conversation_and_history(gateway):
    ws, session, _ = await _open(gateway)
    cid = session["conversation_id"]
    _set_state(gateway, session, "pending")  # keep the bot out of it: no Rasa here
    await ws.send_json({"type": "message", "text": "Waar blijft mijn pakket?"})
    await wait_until(lambda: store.list_messages(gateway.db, cid), what="the message to be stored")
    await ws.close()

    ws2, session2, history2 = await _open(gateway, f"?token={session['token']}")
    assert session2["conversation_id"] == cid and session2["token"] == session["token"]
    assert [(m["from"], m["text"]) for m in history2["messages"]] == [("customer", "Waar blijft mijn pakket?")]
    await ws2.close()


@pytest.mark.parametrize("query", ["?token=forged-token-123", "?token=", "?token=%00%ff"])
async def test_forged_token_is_refused(gateway, query):
    if query == "?token=":  # an empty token is no token: a fresh session
        ws, session, _ = await _open(gateway, query)
        assert session["token"]
        await ws.close()
        return
    before = gateway.db["conversations"].count
    ws = await gateway.http.ws_connect(f"{gateway.url}/ws/chat{query}")
    frame = await ws.receive_json(timeout=10)
    assert frame["type"] == "error" and frame["code"] == "invalid_token"
    closing = await ws.receive(timeout=10)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4401
    assert gateway.db["conversations"].count == before  # nothing created for a forger


async def test_token_of_another_conversation_is_refused(gateway):
    ws_a, a, _ = await _open(gateway)
    ws_b, b, _ = await _open(gateway)
    _materialize(gateway, a), _materialize(gateway, b)
    assert a["token"] != b["token"] and a["conversation_id"] != b["conversation_id"]
    ws = await gateway.http.ws_connect(
        f"{gateway.url}/ws/chat?token={b['token']}&conversation_id={a['conversation_id']}")
    frame = await ws.receive_json(timeout=10)
    assert frame["code"] == "invalid_token"
    # And B's token alone opens B, never A.
    ws2, again, _ = await _open(gateway, f"?token={b['token']}")
    assert again["conversation_id"] == b["conversation_id"]
    for w in (ws_a, ws_b, ws, ws2):
        await w.close()


async def test_bad_frames_get_error_frames_and_the_socket_stays_usable(gateway):
    ws, session, _ = await _open(gateway)
    cid = session["conversation_id"]
    _set_state(gateway, session, "pending")
    await frames_until(ws, lambda f: f == {"type": "state", "state": "pending"})
    cases = [
        ("{not json", "bad_json"),
        (json.dumps([1, 2]), "bad_frame"),
        (json.dumps({"type": "dance"}), "bad_frame"),
        (json.dumps({"type": "message", "text": ""}), "bad_frame"),
        (json.dumps({"type": "message", "text": 42}), "bad_frame"),
        (json.dumps({"type": "button"}), "bad_frame"),
        (json.dumps({"type": "message", "text": "x" * 4001}), "too_long"),
    ]
    for raw, code in cases:
        await ws.send_str(raw)
        frame = await ws.receive_json(timeout=10)
        assert frame["type"] == "error" and frame["code"] == code, (raw[:40], frame)
        assert frame["message"]
    await ws.send_bytes(b"\x00\x01")
    assert (await ws.receive_json(timeout=10))["code"] == "bad_frame"
    assert store.list_messages(gateway.db, cid) == []  # nothing bad was stored
    await ws.send_json({"type": "message", "text": "x" * 4000})  # exactly at the limit: fine
    await ws.send_json({"type": "message", "text": "nog een vraag"})
    await wait_until(lambda: len(store.list_messages(gateway.db, cid)) == 2, what="both messages stored")
    assert [m["text"] for m in store.list_messages(gateway.db, cid)] == ["x" * 4000, "nog een vraag"]
    assert not ws.closed
    await ws.close()


async def test_resent_client_id_is_stored_once(gateway):
    ws, session, _ = await _open(gateway)
    cid = session["conversation_id"]
    _set_state(gateway, session, "pending")
    await frames_until(ws, lambda f: f == {"type": "state", "state": "pending"})
    for _ in range(2):  # the widget resends what was not acknowledged after a reconnect
        await ws.send_json({"type": "message", "text": "hallo", "id": "c-1"})
        assert await ws.receive_json(timeout=10) == {"type": "ack", "id": "c-1"}
    await ws.send_json({"type": "message", "text": "tweede", "id": "c-2"})
    assert await ws.receive_json(timeout=10) == {"type": "ack", "id": "c-2"}
    await ws.send_json({"type": "message", "text": "x" * 4001, "id": "c-3"})
    refused = await ws.receive_json(timeout=10)
    assert refused["code"] == "too_long" and refused["id"] == "c-3"
    await wait_until(lambda: len(store.list_messages(gateway.db, cid)) >= 2, what="two messages stored")
    await settle(gateway.app)  # a resent "c-1" stored twice would be there now
    assert [m["text"] for m in store.list_messages(gateway.db, cid)] == ["hallo", "tweede"]
    await ws.close()


async def test_pending_conversation_gets_no_bot_and_no_typing(gateway):
    ws, session, _ = await _open(gateway)
    cid = session["conversation_id"]
    _set_state(gateway, session, "pending")
    await frames_until(ws, lambda f: f.get("type") == "state")
    await ws.send_json({"type": "message", "text": "Ik wacht op een mens"})
    with pytest.raises(asyncio.TimeoutError):
        extra = await ws.receive_json(timeout=1.0)
        pytest.fail(f"unexpected frame in pending state: {extra}")
    msgs = store.list_messages(gateway.db, cid)
    assert len(msgs) == 1 and msgs[0]["status"] == "delivered"  # routed to the console, not Rasa
    await ws.close()


async def test_agent_reply_reaches_the_widget_as_agent_message(gateway):
    ws, session, _ = await _open(gateway)
    cid = session["conversation_id"]
    _set_state(gateway, session, "agent")
    frames = await frames_until(ws, lambda f: f == {"type": "state", "state": "agent"})
    from connectors import outbox

    outbox.enqueue(gateway.app, cid, "Hallo, ik ben Sam.", author="agent", agent_id=7)
    frames = await frames_until(ws, lambda f: f.get("type") == "message")
    assert frames[-1]["from"] == "agent" and frames[-1]["text"] == "Hallo, ik ben Sam."
    assert frames[-1]["buttons"] == []
    await ws.close()


async def test_bot_down_gets_an_apology_in_the_conversation_language(gateway, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    ws, session, _ = await _open(gateway, "?lang=fr")
    await ws.send_json({"type": "message", "text": "Bonjour, où est ma commande ?"})
    frames = await frames_until(ws, lambda f: f.get("type") == "message")
    assert {"type": "typing", "on": True} in frames and {"type": "typing", "on": False} in frames
    assert frames[-1]["from"] == "bot" and frames[-1]["text"] == flow.BOT_DOWN["fr"]
    events = store.list_events(gateway.db, session["conversation_id"])
    assert any(e["type"] == "bot_error" for e in events)
    await ws.close()


async def test_healthz_reports_every_component(gateway):
    async with gateway.http.get(f"{gateway.url}/healthz") as resp:
        body = await resp.json()
        assert resp.status == 503  # Rasa and actions are not running in this test
    assert body["db"]["ok"] is True and body["rasa"]["ok"] is False and body["actions"]["ok"] is False
    assert body["channels"]["web"]["on"] is True and body["channels"]["web"]["received"] == 0
    assert {"whatsapp", "email"} <= set(body["channels"])


async def test_demo_page_and_widget_are_served(gateway):
    async with gateway.http.get(f"{gateway.url}/?lang=fr") as resp:
        page = await resp.text()
        assert resp.status == 200 and 'lang="fr"' in page and "/widget.js" in page
    async with gateway.http.get(f"{gateway.url}/widget.js") as resp:
        js = await resp.text()
        assert resp.status == 200 and "javascript" in resp.headers["Content-Type"]
        assert "/ws/chat" in js and "localStorage" in js


async def test_only_allowed_origins_may_open_a_chat(tmp_path):
    from .conftest import running_gateway

    async with running_gateway(tmp_path / "h.db", WEBCHAT_ALLOWED_ORIGINS="https://shop.example") as gw:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await gw.http.ws_connect(f"{gw.url}/ws/chat", headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403
        ws = await gw.http.ws_connect(f"{gw.url}/ws/chat", headers={"Origin": "https://shop.example"})
        assert (await ws.receive_json(timeout=10))["type"] == "session"
        await ws.close()
        assert gw.db["conversations"].count == 0  # an idle socket stores nothing
