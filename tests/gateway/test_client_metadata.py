"""The gateway tells the bot which client address a web chat comes from, as a keyed hash only:
real gateway, real Rasa + action server (slow)."""
from __future__ import annotations

import asyncio

import pytest

from connectors import client_address

from .conftest import frames_until, running_gateway

pytestmark = pytest.mark.slow


async def test_rasa_gets_the_hashed_client_address_never_the_address(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "h.db", RASA_URL=bot_stack.rasa_url, ACTIONS_URL=bot_stack.actions_url,
                               TRUST_PROXY_HEADERS=1) as gw:
        ws = await gw.http.ws_connect(f"{gw.url}/ws/chat?lang=nl", headers={"X-Forwarded-For": "203.0.113.77"})
        session = await ws.receive_json(timeout=10)
        await ws.send_json({"type": "message", "text": "hallo", "id": "m1"})
        await frames_until(ws, lambda f: f.get("type") == "message", timeout=60)
        await ws.close()
    tracker = await asyncio.to_thread(bot_stack.tracker, session["conversation_id"])
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    expected = client_address.client_hash(gw.app, "203.0.113.77")
    assert user["metadata"]["client"] == expected
    assert "203.0.113.77" not in str(tracker)
