"""The conversation store on a real SQLite file: schema, invariants, bad input."""
from __future__ import annotations

import sqlite3

import pytest

from connectors import store


@pytest.fixture
def db(tmp_path):
    return store.open_db(tmp_path / "h.db")


def test_schema_has_contract_tables(db):
    assert {"contacts", "conversations", "messages", "events", "agents"} <= set(db.table_names())
    cols = {c.name for c in db["conversations"].columns}
    assert {"id", "contact_id", "channel", "language", "state", "assigned_agent_id", "handoff_reason",
            "created_at", "updated_at", "last_customer_message_at", "pending_since", "thread_key",
            "token_hash"} <= cols
    cols = {c.name for c in db["messages"].columns}
    assert {"direction", "author", "agent_id", "text", "buttons", "media", "internal",
            "channel_message_id", "status", "attempts", "next_attempt_at", "error", "created_at",
            "sent_at"} <= cols


def test_contact_is_unique_per_channel_identity(db):
    a = store.get_or_create_contact(db, "whatsapp", "+32470000001", "An")
    b = store.get_or_create_contact(db, "whatsapp", "+32470000001")
    c = store.get_or_create_contact(db, "email", "+32470000001")
    assert a["id"] == b["id"] != c["id"]
    assert b["name"] == "An"


def test_message_round_trip_and_commit_is_visible_to_other_connections(db, tmp_path):
    contact = store.get_or_create_contact(db, "web", "h1")
    conv = store.create_conversation(db, contact["id"], "web", language="fr")
    msg = store.add_message(db, conv["id"], direction="out", author="bot", text="Bonjour",
                            status="queued", buttons=[{"title": "Oui", "payload": "/affirm"}])
    other = sqlite3.connect(tmp_path / "h.db")  # what another process (console, restart) sees
    row = other.execute("SELECT text, status, buttons FROM messages WHERE id=?", (msg["id"],)).fetchone()
    assert row[0] == "Bonjour" and row[1] == "queued" and "/affirm" in row[2]
    assert store.get_message(db, msg["id"])["buttons"] == [{"title": "Oui", "payload": "/affirm"}]


def test_bad_input_is_refused_and_writes_nothing(db):
    contact = store.get_or_create_contact(db, "web", "h1")
    conv = store.create_conversation(db, contact["id"], "web")
    before = db["messages"].count
    with pytest.raises(store.StoreError):
        store.add_message(db, conv["id"], direction="sideways", author="bot", text="x", status="queued")
    with pytest.raises(store.StoreError):
        store.add_message(db, "no-such-conversation", direction="in", author="customer", text="x",
                          status="received")
    with pytest.raises(store.StoreError):
        store.update_conversation(db, conv["id"], state="sleeping")
    with pytest.raises(store.StoreError):
        store.update_conversation(db, conv["id"], language="de")
    assert db["messages"].count == before
    assert store.get_conversation(db, conv["id"])["state"] == "bot"


def test_delivery_status_never_moves_backwards(db):
    contact = store.get_or_create_contact(db, "whatsapp", "+32470000002")
    conv = store.create_conversation(db, contact["id"], "whatsapp")
    msg = store.add_message(db, conv["id"], direction="out", author="bot", text="hi", status="queued")
    store.mark_sent(db, msg["id"], "SM123")
    assert store.set_delivery_status(db, "SM123", "read")["status"] == "read"
    assert store.set_delivery_status(db, "SM123", "delivered")["status"] == "read"
    assert store.set_delivery_status(db, "SM-unknown", "read") is None
    with pytest.raises(store.StoreError):
        store.set_delivery_status(db, "SM123", "exploded")


def test_inbound_dedupe_is_per_channel(db):
    wa = store.create_conversation(db, store.get_or_create_contact(db, "whatsapp", "+1")["id"], "whatsapp")
    store.add_message(db, wa["id"], direction="in", author="customer", text="a", status="received",
                      channel_message_id="SM1")
    assert store.find_inbound(db, "whatsapp", "SM1")["text"] == "a"
    assert store.find_inbound(db, "email", "SM1") is None


def test_token_is_stored_hashed(db):
    token, token_hash = store.new_token()
    assert token not in token_hash and len(token) >= 40
    conv = store.create_conversation(db, store.get_or_create_contact(db, "web", token_hash)["id"], "web",
                                     token_hash=token_hash)
    assert store.conversation_by_token_hash(db, store.hash_token(token))["id"] == conv["id"]
    assert store.conversation_by_token_hash(db, store.hash_token(token + "x")) is None
    assert db.execute("SELECT COUNT(*) FROM conversations WHERE token_hash=?", (token,)).fetchone()[0] == 0
