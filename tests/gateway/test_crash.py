"""kill -9 the gateway mid-conversation, restart it: nothing lost, nothing sent twice.

Real parts: a real Rasa + action server (`bot_stack`), the gateway as a subprocess, its SQLite file.
"""
from __future__ import annotations

import asyncio
import json
import signal

import aiohttp
import pytest

from connectors import store

from .conftest import free_port, start_gateway_process

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Waar vind ik mijn factuur?", "Hoe kan ik iets retourneren?", "Hoe lang duurt de levering?",
    "Où est ma facture ?", "Comment retourner un article ?", "Quels sont les délais de livraison ?",
]


class Client:
    """What the widget does: number frames, keep them until acked, resend after reconnect."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.token: str | None = None
        self.conversation_id: str | None = None
        self.unacked: dict[str, dict] = {}
        self.sent_texts: list[str] = []
        self.frame_ids: list[list[int]] = []  # bot message ids seen, per socket life

    async def connect(self, http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
        q = f"?token={self.token}" if self.token else "?lang=nl"
        ws = await http.ws_connect(f"{url}/ws/chat{q}")
        session = await ws.receive_json(timeout=10)
        assert session["type"] == "session"
        if self.conversation_id:
            assert session["conversation_id"] == self.conversation_id
        self.token, self.conversation_id = session["token"], session["conversation_id"]
        self.frame_ids.append([])
        for frame in self.unacked.values():
            await ws.send_json(frame)
        return ws

    async def pump(self, ws, seconds: float) -> None:
        """Read frames for a while (acks, bot messages); returns early when the socket dies."""
        try:
            while True:
                msg = await ws.receive(timeout=seconds)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    return
                frame = json.loads(msg.data)
                if frame["type"] == "ack":
                    self.unacked.pop(frame["id"], None)
                elif frame["type"] == "message":
                    self.frame_ids[-1].append(frame["id"])
        except (asyncio.TimeoutError, aiohttp.ClientError, ConnectionError):
            return

    async def say(self, ws, i: int) -> None:
        text = QUESTIONS[(self.n + i) % len(QUESTIONS)]
        frame = {"type": "message", "text": text, "id": f"k{self.n}-{i}"}
        self.unacked[frame["id"]] = frame
        self.sent_texts.append(text)
        try:
            await ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            pass  # the gateway is gone: resent on reconnect


async def test_kill_9_and_restart_loses_nothing_and_sends_nothing_twice(bot_stack, tmp_path):
    db_path, port = tmp_path / "helpdesk.db", free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "gateway.log"
    proc = start_gateway_process(db_path, port, bot_stack, log)
    clients = [Client(n) for n in range(6)]
    try:
        async with aiohttp.ClientSession() as http:
            sockets = [await c.connect(http, url) for c in clients]
            for i in range(2):  # two calm turns each
                for c, ws in zip(clients, sockets):
                    await c.say(ws, i)
                await asyncio.gather(*(c.pump(ws, 1.5) for c, ws in zip(clients, sockets)))
            for c, ws in zip(clients, sockets):  # a burst, then the crash while it is in flight
                await c.say(ws, 2)
                await c.say(ws, 3)
            await asyncio.sleep(0.15)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            await asyncio.gather(*(c.pump(ws, 2) for c, ws in zip(clients, sockets)))

            proc = start_gateway_process(db_path, port, bot_stack, log)
            sockets = [await c.connect(http, url) for c in clients]  # resends what was not acked
            await asyncio.gather(*(c.pump(ws, 8) for c, ws in zip(clients, sockets)))
            for ws in sockets:
                await ws.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    db = store.open_db(db_path)
    for c in clients:
        assert not c.unacked, f"client {c.n}: never acknowledged {list(c.unacked)}"
        msgs = store.list_messages(db, c.conversation_id)
        inbound = [m["text"] for m in msgs if m["direction"] == "in"]
        assert sorted(inbound) == sorted(c.sent_texts), "every message stored exactly once"
        assert all(m["status"] == "delivered" for m in msgs if m["direction"] == "in"), "all routed"
        outbound = [m for m in msgs if m["direction"] == "out"]
        assert len(outbound) >= len(inbound), "every message answered"
        assert all(m["status"] == "sent" for m in outbound), [m["status"] for m in outbound]
        # A reply is sent once: one attempt each (at most one was in flight at the kill).
        assert sum(m["attempts"] - 1 for m in outbound) <= 1, [m["attempts"] for m in outbound]
        for life in c.frame_ids:
            assert len(life) == len(set(life)), "a socket never gets the same reply twice"
        # Rasa saw each message (a turn cut by the kill may be asked again, never answered twice).
        user_turns = [e for e in bot_stack.tracker(c.conversation_id)["events"] if e["event"] == "user"]
        assert len(user_turns) >= len(inbound)
    assert "Traceback" not in log.read_text()
