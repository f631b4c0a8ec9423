"""GDPR export / forget and retention, on real SQLite files (gateway + orders) and the real bot."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlite_utils

from actions import lookup_guard
from connectors import flow, handoff, outbox, privacy, report, retention, store

from .conftest import running_gateway, wait_for
from .test_report import run_cli

EMAIL = "Jan.Peeters@example.be"
TEXT = "Mijn remblokken van bestelling 10000001 zijn nooit aangekomen"


def seed(app, orders_db: str) -> dict:
    db = app["db"]
    contact = store.get_or_create_contact(db, "email", EMAIL, name="Jan Peeters")
    conv = store.create_conversation(db, contact["id"], "email", language="nl", thread_key="<abc@example.be>")
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text=TEXT, status="delivered",
                            channel_message_id="<abc@example.be>")
    store.update_conversation(db, conv["id"], last_customer_message_at=msg["created_at"])
    handoff.escalate(app, conv["id"], "failed_lookups")
    handoff.take(app, conv["id"], {"id": 1, "role": "agent", "name": None})
    outbox.enqueue(app, conv["id"], "Dag Jan, ik kijk het na.", author="agent", agent_id=1)
    handoff.close(app, conv["id"], "agent:1")
    store.add_event(db, conv["id"], "bot_error", "system", {"error": f"lookup for {EMAIL} failed"})
    lookup_guard.record_failure(f"contact:{contact['id']}", orders_db)
    lookup_guard.record_failures(lookup_guard.target_keys(EMAIL, "10000001", None), orders_db)
    lookup_guard.record_failure("contact:999", orders_db)  # someone else
    other = store.get_or_create_contact(db, "whatsapp", "+32470111222")
    oc = store.create_conversation(db, other["id"], "whatsapp", language="fr")
    store.add_message(db, oc["id"], direction="in", author="customer", text="Bonjour, ma commande ?", status="delivered")
    return {"contact": contact, "conv": conv["id"], "other": oc["id"]}


def dump(path) -> str:
    db = sqlite_utils.Database(path)
    text = "\n".join(db.conn.iterdump())
    db.conn.close()
    return text


async def test_export_then_forget_keeps_numbers_and_drops_the_person(tmp_path):
    orders = str(tmp_path / "orders.db")
    db_path = tmp_path / "h.db"
    async with running_gateway(db_path, ORDERS_DB=orders) as gw:
        ids = seed(gw.app, orders)
        data = await privacy.export(gw.db, EMAIL.lower(), rasa_url=gw.app["settings"].RASA_URL, orders_db=orders)
        assert [c["identity"] for c in data["contacts"]] == [EMAIL]
        (conv,) = data["conversations"]
        assert TEXT in [m["text"] for m in conv["messages"]]
        assert {"handoff", "closed"} <= {e["type"] for e in conv["events"]}
        assert "unavailable" in conv["rasa_tracker"]  # Rasa is not running in this test
        assert {f["identity"] for f in data["lookup_failures"]} == {
            f"contact:{ids['contact']['id']}", *lookup_guard.target_keys(EMAIL, None, None)}
        json.dumps(data)  # JSON as it is

        before = report.build(gw.db)
        counts = await privacy.forget(gw.db, EMAIL, rasa_url=None, orders_db=orders)
        assert counts["contacts"] == 1 and counts["conversations"] == 1 and counts["lookup_failures"] == 2
        after = report.build(gw.db)
        for key in ("conversations", "handoffs", "first_response_seconds", "resolution_seconds", "csat"):
            assert after[key] == before[key], key
        with pytest.raises(privacy.PrivacyError):
            await privacy.forget(gw.db, EMAIL)
        other = store.list_messages(gw.db, ids["other"])
        assert other[0]["text"] == "Bonjour, ma commande ?"  # other customers untouched
    gateway_dump, orders_dump = dump(db_path), dump(orders)
    for secret in ("jan.peeters", "Jan Peeters", "remblokken", "ik kijk het na", "abc@example.be"):
        assert secret.lower() not in gateway_dump.lower(), secret
    assert f"contact:{ids['contact']['id']}'" not in orders_dump and "contact:999" in orders_dump
    assert lookup_guard.target_keys(EMAIL, None, None)[0] not in orders_dump
    # not in the files' bytes either (secure_delete + WAL checkpoint)
    for path in tmp_path.glob("h.db*"):
        raw = path.read_bytes().lower()
        assert b"jan.peeters" not in raw and b"remblokken" not in raw, path


async def test_cli_export_and_forget(tmp_path):
    orders = str(tmp_path / "orders.db")
    db_path = tmp_path / "h.db"
    async with running_gateway(db_path, ORDERS_DB=orders) as gw:
        seed(gw.app, orders)
    env = {"ORDERS_DB": orders}
    out = run_cli(db_path, "contacts", "export", "whatsapp:+32470111222", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["conversations"][0]["messages"][0]["text"] == "Bonjour, ma commande ?"
    out = run_cli(db_path, "contacts", "forget", "whatsapp:+32470111222", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[0])["messages"] == 1
    forgotten = sqlite_utils.Database(db_path)
    assert forgotten.execute("SELECT state FROM conversations WHERE channel='whatsapp'").fetchone()[0] == "closed"
    forgotten.conn.close()
    out = run_cli(db_path, "contacts", "export", "whatsapp:+32470111222", env=env)
    assert out.returncode == 1 and "no customer" in out.stderr
    assert "Bonjour, ma commande" not in dump(db_path)


async def test_retention_forgets_only_old_closed_conversations(tmp_path):
    orders = str(tmp_path / "orders.db")
    async with running_gateway(tmp_path / "h.db", ORDERS_DB=orders, RETENTION_DAYS=30) as gw:
        ids = seed(gw.app, orders)
        old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)).isoformat()
        gw.db.execute("UPDATE conversations SET updated_at=?", (old,))  # both old; only one is closed
        counts = await retention.run_once(gw.app)
        assert counts["conversations"] == 1
        assert store.list_messages(gw.db, ids["conv"])[0]["text"] is None
        assert store.list_messages(gw.db, ids["other"])[0]["text"] == "Bonjour, ma commande ?"
        assert store.get_contact(gw.db, ids["contact"]["id"])["identity"].startswith("forgotten:")
        assert (await retention.run_once(gw.app))["conversations"] == 0


@pytest.mark.slow
async def test_forget_resets_the_rasa_tracker(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "h.db", RASA_URL=bot_stack.rasa_url, ACTIONS_URL=bot_stack.actions_url,
                               ORDERS_DB=bot_stack.orders_db) as gw:
        got = await flow.receive(gw.app, channel="web", identity="tokenhash-privacy", text="Waar is mijn bestelling?",
                                 meta={"language": "nl"})
        cid = got["conversation_id"]
        await wait_for(lambda: store.get_message(gw.db, got["message_id"])["status"] == "delivered", timeout=90)
        second = await flow.receive(gw.app, channel="web", identity="tokenhash-privacy", text="an.devos@example.be")
        await wait_for(lambda: store.get_message(gw.db, second["message_id"])["status"] == "delivered", timeout=90)
        contact_id = store.get_conversation(gw.db, cid)["contact_id"]
        data = await privacy.export(gw.db, f"web:{contact_id}", bot_stack.rasa_url, bot_stack.orders_db)
        tracker = data["conversations"][0]["rasa_tracker"]
        assert tracker["slots"]["email"] == "an.devos@example.be"
        counts = await privacy.forget(gw.db, f"web:{contact_id}", bot_stack.rasa_url, bot_stack.orders_db)
        assert counts["rasa_trackers"] == 1 and counts["rasa_unreachable"] == 0
        after = bot_stack.tracker(cid)
        assert "an.devos@example.be" not in json.dumps(after)
        assert not [e for e in after.get("events", []) if e.get("event") == "user"]
