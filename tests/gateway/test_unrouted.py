"""Inbound messages left unrouted (issue 12): none stays `received` forever.

A message older than the resume window goes to a person (reason `unanswered`) instead of the bot
answering hours late; a recent one a running gateway left behind is picked up by the sweep.
Real gateway app and SQLite file; Rasa is unreachable, so the bot's turn ends in the flow's apology.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from connectors import flow, store

from .conftest import running_gateway


def _old(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat(timespec="milliseconds")


def _stored_unrouted(db, identity: str, text: str, created_at: str) -> tuple[str, int]:
    contact = store.get_or_create_contact(db, "web", identity)
    conv = store.create_conversation(db, contact["id"], "web", language="nl")
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text=text, status="received")
    db.execute("UPDATE messages SET created_at=? WHERE id=?", (created_at, msg["id"]))
    return conv["id"], msg["id"]


async def _until(predicate, timeout: float = 15.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    return predicate()


async def test_message_older_than_an_hour_goes_to_a_person_after_restart(tmp_path):
    db_path = tmp_path / "h.db"
    db = store.open_db(db_path)
    old_conv, old_msg = _stored_unrouted(db, "old-visitor", "Waar blijft mijn pakje?", _old(3))
    db.conn.close()
    async with running_gateway(db_path) as gw:
        routed = await _until(lambda: store.get_message(gw.db, old_msg)["status"] == "delivered")
        assert routed, "a 3-hour-old unrouted message is still `received`"
        conv = store.get_conversation(gw.db, old_conv)
        assert conv["state"] == "pending" and conv["handoff_reason"] == flow.STALE_REASON
        types = [e["type"] for e in store.list_events(gw.db, old_conv)]
        assert "stale_inbound" in types and "handoff" in types
        assert not any(e["type"] == "bot_error" for e in store.list_events(gw.db, old_conv))  # no bot turn


async def test_sweep_routes_a_message_a_running_gateway_left_behind(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        conv_id, msg_id = _stored_unrouted(gw.db, "visitor", "Hallo?", _old(0.5))
        assert flow.sweep(gw.app) == 1
        routed = await _until(lambda: store.get_message(gw.db, msg_id)["status"] == "delivered", timeout=30)
        assert routed
        replies = [m for m in store.list_messages(gw.db, conv_id) if m["direction"] == "out"]
        assert [m["text"] for m in replies] == [flow.BOT_DOWN["nl"]]  # the bot's turn (Rasa is down here)
        assert store.get_conversation(gw.db, conv_id)["state"] == "bot"
        assert flow.sweep(gw.app) == 0  # routed once, never twice
