"""Several gateways side by side on one store: no message sent twice, dedupe holds, live updates
cross gateways over a real Redis (private redis-server, tests/support/engines.py). The store tests
run on both engines: a shared SQLite file and a private Postgres (DATABASE_URL)."""
from __future__ import annotations

import asyncio
import time

import pytest

from connectors import bus, flow, outbox, store

from .conftest import running_gateway


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> dict:
    """Settings for the gateways' shared store: {} = the SQLite file, else a fresh Postgres database."""
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("postgres").new_database()}


async def _until(condition, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_two_gateways_send_every_queued_message_once_and_in_order(tmp_path, backend):
    db_path = tmp_path / "shared.db"
    sent: list[tuple[str, int, str]] = []  # (gateway, message id, conversation id)

    def sender(name: str):
        async def send(app, conversation, message):
            await asyncio.sleep(0.005)  # let the other gateway interleave
            sent.append((name, message["id"], conversation["id"]))
            return f"{name}-{message['id']}"
        return send

    async with running_gateway(db_path, **backend) as a, running_gateway(db_path, **backend) as b:
        outbox.register_sender(a.app, "test", sender("a"))
        outbox.register_sender(b.app, "test", sender("b"))
        queued: dict[str, list[int]] = {}
        with store.transaction(a.db):  # all at once, so both workers find them in one pass
            for i in range(6):
                contact = store.get_or_create_contact(a.db, "test", f"customer-{i}")
                conv = store.create_conversation(a.db, contact["id"], "test")
                queued[conv["id"]] = [store.add_message(a.db, conv["id"], direction="out", author="bot",
                                                        text=f"reply {n}", status="queued")["id"]
                                      for n in range(8)]
        outbox.wake(a.app)
        outbox.wake(b.app)
        total = sum(len(v) for v in queued.values())
        await _until(lambda: len(sent) >= total, what="every message sent")
        await asyncio.sleep(0.3)  # a double send would land right after; then the counts below differ
        ids = [mid for _, mid, _ in sent]
        assert len(ids) == total and len(set(ids)) == total, sent
        for conv_id, mids in queued.items():
            assert [mid for _, mid, cid in sent if cid == conv_id] == mids  # order kept per conversation
        assert {store.get_message(a.db, m)["status"] for m in ids} == {"sent"}
        assert {g for g, _, _ in sent} <= {"a", "b"}


async def test_a_webhook_redelivered_to_another_gateway_is_stored_once(tmp_path, backend):
    db_path = tmp_path / "shared.db"
    async with running_gateway(db_path, **backend) as a, running_gateway(db_path, **backend) as b:
        results = await asyncio.gather(*(
            flow.receive(gw.app, channel="whatsapp", identity="+32470000001", text="hallo",
                         channel_message_id="SM0001")
            for gw in (a, b, a, b)))
        assert sorted(r["duplicate"] for r in results) == [False, True, True, True]
        assert len({r["message_id"] for r in results}) == 1
        rows = a.db.execute("SELECT COUNT(*) FROM messages WHERE channel_message_id='SM0001'").fetchone()
        assert rows[0] == 1


def test_inbound_ids_are_unique_per_channel_in_the_schema(tmp_path, backend):
    db = store.open_db(backend.get("DATABASE_URL") or tmp_path / "s.db")
    contact = store.get_or_create_contact(db, "whatsapp", "+32470000002")
    conv = store.create_conversation(db, contact["id"], "whatsapp")
    first = store.add_message(db, conv["id"], direction="in", author="customer", text="a",
                              status="received", channel_message_id="SM9", channel="whatsapp")
    with pytest.raises(store.DuplicateInbound) as dup:
        store.add_message(db, conv["id"], direction="in", author="customer", text="a",
                          status="received", channel_message_id="SM9", channel="whatsapp")
    assert dup.value.existing["id"] == first["id"]


async def test_redis_bus_carries_updates_and_widget_replies_across_gateways(tmp_path, redis_server, backend):
    db_path = tmp_path / "shared.db"
    async with running_gateway(db_path, REDIS_URL=redis_server.url, **backend) as a, \
            running_gateway(db_path, REDIS_URL=redis_server.url, **backend) as b:
        # The console on gateway A is live for what happens on gateway B.
        sub = bus.subscribe(a.app, topics={"conversation"})
        conv = flow.conversation_for(b.app, "web", "tok-hash-1", language="nl", token_hash="tok-hash-1")
        bus.publish(b.app, "conversation", conv)
        topic, payload = await asyncio.wait_for(sub.get(), 10)
        assert topic == "conversation" and payload["id"] == conv["id"]
        bus.unsubscribe(a.app, sub)

        # A widget connected to A gets the reply that B's outbox delivers (e.g. an agent on B).
        async with a.ws("?lang=nl") as ws:
            session = await ws.receive_json(timeout=10)
            conv_id = session["conversation_id"]
            await ws.send_json({"type": "message", "text": "hallo"})  # the conversation is stored now
            await _until(lambda: store.get_conversation(b.db, conv_id) is not None
                         and conv_id in a.app["web_sockets"], what="conversation stored, socket attached")
            await outbox.stop(a.app)  # only B may deliver: the frame must cross over Redis
            msg = outbox.enqueue(b.app, conv_id, "Een agent antwoordt via B", author="agent")
            while True:
                frame = await ws.receive_json(timeout=10)
                if frame.get("type") == "message" and frame.get("id") == msg["id"]:
                    break
            assert frame["text"] == "Een agent antwoordt via B" and frame["from"] == "agent"
            await _until(lambda: store.get_message(b.db, msg["id"])["status"] == "sent", what="sent")
