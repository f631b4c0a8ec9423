"""Web chat floods against the real gateway: socket caps per address, every frame rate-limited,
idle sockets store nothing, and "I want a person" from many fresh sockets can't fill the queue."""
from __future__ import annotations

import asyncio
import json

import aiohttp

from connectors import flow, store
from connectors.channels.web import adapter

from .conftest import frames_until, running_gateway


async def _open(gw, headers: dict | None = None, query: str = ""):
    ws = await gw.http.ws_connect(f"{gw.url}/ws/chat{query}", headers=headers or {})
    session = await ws.receive_json(timeout=10)
    assert session["type"] == "session", session
    await frames_until(ws, lambda f: f.get("type") == "state")
    return ws, session


async def _wait(predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_an_idle_socket_creates_nothing_but_still_gets_a_token(gateway):
    sockets = [await _open(gateway) for _ in range(5)]
    for ws, session in sockets:
        assert session["token"] and session["conversation_id"]
        await ws.close()
    assert gateway.db["contacts"].count == 0 and gateway.db["conversations"].count == 0
    # A reconnect before the first message is recognised: same token, same conversation id.
    ws, again = await _open(gateway, query=f"?token={sockets[0][1]['token']}")
    assert (again["token"], again["conversation_id"]) == (sockets[0][1]["token"], sockets[0][1]["conversation_id"])
    await ws.close()
    forged = sockets[0][1]["token"][:-4] + "AAAA"
    ws = await gateway.http.ws_connect(f"{gateway.url}/ws/chat?token={forged}")
    assert (await ws.receive_json(timeout=10))["code"] == "invalid_token"
    await ws.close()
    assert gateway.db["conversations"].count == 0
    # The first real message creates them, under the id the session frame announced.
    ws, session = await _open(gateway)
    await ws.send_json({"type": "message", "text": "hallo", "id": "m1"})
    assert (await frames_until(ws, lambda f: f.get("type") == "ack"))[-1] == {"type": "ack", "id": "m1"}
    conv = store.get_conversation(gateway.db, session["conversation_id"])
    assert conv is not None and conv["token_hash"] == store.hash_token(session["token"])
    assert conv["client_hash"] and "127.0.0.1" not in conv["client_hash"]
    await ws.close()


async def test_sockets_per_client_address_are_capped(tmp_path):
    async with running_gateway(tmp_path / "h.db", WEBCHAT_MAX_SOCKETS_PER_CLIENT=3, TRUST_PROXY_HEADERS=1) as gw:
        mine = {"X-Forwarded-For": "203.0.113.7"}
        open_ = [await _open(gw, mine) for _ in range(3)]
        ws = await gw.http.ws_connect(f"{gw.url}/ws/chat", headers=mine)
        assert (await ws.receive_json(timeout=10))["code"] == "too_many_connections"
        closing = await ws.receive(timeout=10)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert ws.close_code == adapter.TOO_MANY_CLOSE_CODE
        other, _ = await _open(gw, {"X-Forwarded-For": "198.51.100.8"})  # another client is not affected
        await open_[0][0].close()
        await _wait(lambda: gw.app["web_clients"].get("203.0.113.7") == 2)
        again, _ = await _open(gw, mine)  # a freed slot can be used again
        for w in [again, other] + [w for w, _ in open_[1:]]:
            await w.close()
        await _wait(lambda: not gw.app["web_clients"])


async def test_every_frame_counts_in_the_rate_limit(gateway):
    ws, session = await _open(gateway)
    junk = ["{not json", json.dumps({"type": "dance"}), json.dumps({"type": "message", "text": "x" * 4001}),
            json.dumps({"type": "ping"})]
    for i in range(adapter.RATE_MAX):
        await ws.send_str(junk[i % len(junk)])
    await ws.send_bytes(b"\x00")
    await ws.send_json({"type": "message", "text": "nu een echte vraag", "id": "real"})
    frames = await frames_until(ws, lambda f: f.get("id") == "real", limit=adapter.RATE_MAX + 5)
    assert frames[-1]["code"] == "rate_limited"  # the flood used the budget, so this one waits
    assert gateway.db["messages"].count == 0
    # A client that keeps flooding while refused is disconnected.
    for _ in range(adapter.RATE_MAX + 2):
        await ws.send_str("{}")
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            break
    assert ws.close_code == adapter.FLOOD_CLOSE_CODE


def test_token_bucket_refills_and_caps():
    bucket = adapter.TokenBucket(capacity=3, rate=1000.0)
    assert [bucket.take() for _ in range(3)] == [True] * 3
    bucket.stamp -= 1.0  # a second later: full again, never more than the capacity
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


async def test_person_requests_from_fresh_sockets_cannot_fill_the_queue(tmp_path):
    async with running_gateway(tmp_path / "h.db", WEBCHAT_MAX_QUEUED_PER_CLIENT=2, TRUST_PROXY_HEADERS=1) as gw:
        flow.RASA_RETRIES, saved = (), flow.RASA_RETRIES
        try:
            convs = []
            for i in range(5):
                ws, session = await _open(gw, {"X-Forwarded-For": "203.0.113.50"})
                await ws.send_json({"type": "message", "text": "ik wil een mens", "id": f"m{i}"})
                await frames_until(ws, lambda f: f.get("type") == "ack")
                convs.append(session["conversation_id"])
                await ws.close()
            ws, session = await _open(gw, {"X-Forwarded-For": "198.51.100.9"})
            await ws.send_json({"type": "message", "text": "ik wil een mens", "id": "other"})
            await frames_until(ws, lambda f: f.get("type") == "ack")
            convs.append(session["conversation_id"])
            await ws.close()
        finally:
            flow.RASA_RETRIES = saved
        for cid in convs:  # what the bot's handoff signal does (Rasa is not running here)
            flow.deliver_bot_replies(gw.app, cid, [{"custom": {"handoff": {"reason": "asked"}}}])
        states = [store.require_conversation(gw.db, cid)["state"] for cid in convs]
        assert states == ["pending", "pending", "bot", "bot", "bot", "pending"]
        refused = [e for e in store.list_events(gw.db, convs[2]) if e["type"] == "handoff_refused"]
        assert refused and refused[0]["data"]["why"] == "client_queue_full"
        notices = [m for m in store.list_messages(gw.db, convs[2]) if m["author"] == "system"]
        assert notices and "wachten al gesprekken" in notices[-1]["text"]
