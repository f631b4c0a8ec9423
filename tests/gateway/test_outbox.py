"""Outbox: store first, retry with backoff, keep order, give up cleanly, resume after restart."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from connectors import outbox, store
from connectors.app import create_app
from support.waiting import settle, wait_until


def _conversation(db, channel: str = "test") -> dict:
    contact = store.get_or_create_contact(db, channel, "someone")
    return store.create_conversation(db, contact["id"], channel)


class FlakySender:
    """A channel adapter whose first `failures` sends fail (retryable unless told otherwise)."""

    def __init__(self, failures: int = 0, retryable: bool = True) -> None:
        self.failures, self.retryable = failures, retryable
        self.delivered: list[str] = []
        self.calls = 0

    async def __call__(self, app, conversation, message):
        self.calls += 1
        if self.calls <= self.failures:
            raise outbox.SendError("provider said 503", retryable=self.retryable)
        self.delivered.append(message["text"])
        return f"X{message['id']}"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(outbox, "BACKOFF_BASE", 0.05)
    app = create_app({"HELPDESK_DB": str(tmp_path / "h.db")})
    yield app
    app["db"].conn.close()


async def _drain(app, rounds: int = 40) -> None:
    for _ in range(rounds):
        await outbox.run_once(app)
        if not store.due_outbound(app["db"]):
            return
        await asyncio.sleep(0.06)


async def test_retryable_failure_is_retried_with_backoff_then_sent(app):
    send = FlakySender(failures=2)
    outbox.register_sender(app, "test", send)
    conv = _conversation(app["db"])
    msg = outbox.enqueue(app, conv["id"], "hallo")
    assert store.get_message(app["db"], msg["id"])["status"] == "queued"  # stored before any send
    await outbox.run_once(app)
    first = store.get_message(app["db"], msg["id"])
    assert first["status"] == "queued" and first["attempts"] == 1 and "503" in first["error"]
    assert first["next_attempt_at"] > first["created_at"]
    await outbox.run_once(app)  # not due yet: nothing happens
    assert send.calls == 1
    await _drain(app)
    done = store.get_message(app["db"], msg["id"])
    assert done["status"] == "sent" and done["attempts"] == 3
    assert done["channel_message_id"] == f"X{msg['id']}"
    assert send.delivered == ["hallo"]


async def test_permanent_failure_marks_failed_without_retry(app):
    send = FlakySender(failures=99, retryable=False)
    outbox.register_sender(app, "test", send)
    msg = outbox.enqueue(app, _conversation(app["db"])["id"], "hallo")
    await _drain(app)
    row = store.get_message(app["db"], msg["id"])
    assert row["status"] == "failed" and send.calls == 1


async def test_gives_up_after_max_attempts(app, monkeypatch):
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 3)
    send = FlakySender(failures=99)
    outbox.register_sender(app, "test", send)
    msg = outbox.enqueue(app, _conversation(app["db"])["id"], "hallo")
    await _drain(app)
    assert store.get_message(app["db"], msg["id"])["status"] == "failed"
    assert send.calls == 3


async def test_order_is_kept_within_a_conversation(app):
    send = FlakySender(failures=1)
    outbox.register_sender(app, "test", send)
    cid = _conversation(app["db"])["id"]
    for text in ("een", "twee", "drie"):
        outbox.enqueue(app, cid, text)
    await _drain(app)
    assert send.delivered == ["een", "twee", "drie"]


async def test_internal_notes_are_never_sent(app):
    send = FlakySender()
    outbox.register_sender(app, "test", send)
    cid = _conversation(app["db"])["id"]
    outbox.enqueue(app, cid, "klant is boos", author="agent", internal=True)
    outbox.enqueue(app, cid, "hallo")
    await _drain(app)
    assert send.delivered == ["hallo"]


async def test_empty_message_is_refused(app):
    with pytest.raises(store.StoreError):
        outbox.enqueue(app, _conversation(app["db"])["id"], "")


async def test_restart_resumes_queued_messages_exactly_once(tmp_path):
    db_path = tmp_path / "h.db"
    # A previous run stored two replies and died before sending them; a third was already sent.
    db = store.open_db(db_path)
    cid = _conversation(db)["id"]
    store.add_message(db, cid, direction="out", author="bot", text="a", status="queued")
    store.add_message(db, cid, direction="out", author="bot", text="b", status="queued")
    sent = store.add_message(db, cid, direction="out", author="bot", text="old", status="queued")
    store.mark_sent(db, sent["id"], "X-old")
    db.conn.close()

    send = FlakySender()
    app = create_app({"HELPDESK_DB": str(db_path)})
    outbox.register_sender(app, "test", send)
    runner = web.AppRunner(app)
    await runner.setup()  # on_startup: the outbox worker starts and finds the queued rows
    try:
        await wait_until(lambda: len(send.delivered) >= 2, what="both queued rows delivered")
        await settle(app, extra=lambda: len(send.delivered))  # a third (resent "old") would show now
    finally:
        await runner.cleanup()
    assert send.delivered == ["a", "b"]
    db = store.open_db(db_path)
    assert [m["status"] for m in store.list_messages(db, cid)] == ["sent", "sent", "sent"]


async def test_documented_process_wide_register_sender_reaches_every_app(app, monkeypatch):
    """docs/CONTRACTS.md: `register_sender(channel, send)`; an app's own sender still wins."""
    monkeypatch.setattr(outbox, "_PROCESS_SENDERS", {})
    app = create_app({"HELPDESK_DB": str(app["settings"].HELPDESK_DB) + ".2"})
    everywhere, own = FlakySender(), FlakySender()
    outbox.register_sender("test", everywhere)
    assert outbox.sender_for(app, "test") is everywhere and "test" in outbox.channels_with_sender(app)
    msg = outbox.enqueue(app, _conversation(app["db"])["id"], "hallo")
    await _drain(app)
    assert store.get_message(app["db"], msg["id"])["status"] == "sent" and everywhere.delivered == ["hallo"]
    outbox.register_sender(app, "test", own)
    assert outbox.sender_for(app, "test") is own
    app["db"].conn.close()
