"""The same store on a real Postgres (private server, tests/support/engines.py): one set of
queries through helpdesk/sql.py, migrations that run on both engines."""
from __future__ import annotations

import pytest

from connectors import store
from helpdesk import sql
from connectors.console import accounts, auth
from connectors.migrations import MIGRATIONS
from helpdesk import migrate


@pytest.fixture
def db(postgres):
    pg = store.open_db(postgres.new_database())
    yield pg
    pg.close()


def test_migrations_run_once_and_make_the_contract_tables(db, postgres):
    assert sql.dialect(db) == "postgresql"
    tables = {r["table_name"] for r in sql.rows(
        db, "SELECT table_name FROM information_schema.tables WHERE table_schema='public'")}
    assert {"contacts", "conversations", "messages", "events", "agents", "agent_sessions", "_migrations"} <= tables
    assert migrate.apply(db, MIGRATIONS) == []  # a second gateway starting finds nothing to do
    names = [r["name"] for r in sql.rows(db, "SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(name for name, _ in MIGRATIONS)


def test_contacts_conversations_messages_events_round_trip(db):
    a = store.get_or_create_contact(db, "whatsapp", "+32470000001", "An")
    b = store.get_or_create_contact(db, "whatsapp", "+32470000001")
    c = store.get_or_create_contact(db, "email", "+32470000001")
    assert a["id"] == b["id"] != c["id"] and b["name"] == "An"
    token, token_hash = store.new_token()
    conv = store.create_conversation(db, a["id"], "whatsapp", language="fr", token_hash=token_hash)
    assert "rowid" not in conv and conv["state"] == "bot"
    assert store.conversation_by_token_hash(db, token_hash)["id"] == conv["id"]
    assert store.open_conversation_for_contact(db, a["id"])["id"] == conv["id"]
    out = store.add_message(db, conv["id"], direction="out", author="bot", text="50% korting? Oui",
                            status="queued", buttons=[{"title": "Oui", "payload": "/affirm"}])
    assert out["buttons"] == [{"title": "Oui", "payload": "/affirm"}] and out["internal"] is False
    inbound = store.add_message(db, conv["id"], direction="in", author="customer", text="merci",
                                status="received", channel_message_id="SM1", channel="whatsapp")
    assert [m["id"] for m in store.list_messages(db, conv["id"])] == [out["id"], inbound["id"]]
    assert store.find_inbound(db, "whatsapp", "SM1")["id"] == inbound["id"]
    with pytest.raises(store.DuplicateInbound):
        store.add_message(db, conv["id"], direction="in", author="customer", text="merci",
                          status="received", channel_message_id="SM1", channel="whatsapp")
    assert [m["id"] for m in store.due_outbound(db)] == [out["id"]]
    assert store.claim_outbound(db, out["id"], "gw-a", 60) and not store.claim_outbound(db, out["id"], "gw-b", 60)
    store.mark_sent(db, out["id"], "SMout")
    assert store.set_delivery_status(db, "SMout", "read")["status"] == "read"
    assert store.set_delivery_status(db, "SMout", "delivered")["status"] == "read"  # never backwards
    assert store.due_outbound(db) == []
    event_id = store.add_event(db, conv["id"], "note", "system", {"k": "v"})
    assert isinstance(event_id, int) and store.list_events(db, conv["id"])[-1]["data"] == {"k": "v"}


def test_pending_queue_keeps_insertion_order_and_transitions_are_atomic(db):
    convs = []
    for i in range(5):
        contact = store.get_or_create_contact(db, "web", f"h{i}")
        conv = store.create_conversation(db, contact["id"], "web")
        convs.append(store.update_conversation(db, conv["id"], state="pending", pending_since="2026-01-01T00:00:00"))
    assert [c["id"] for c in store.pending_queue(db)] == [c["id"] for c in convs]
    first = store.transition(db, convs[0]["id"], ("pending",), state="agent", assigned_agent_id=1)
    assert first["state"] == "agent"
    assert store.transition(db, convs[0]["id"], ("pending",), state="agent", assigned_agent_id=2) is None


def test_a_failed_transaction_writes_nothing(db):
    contact = store.get_or_create_contact(db, "web", "tx")
    conv = store.create_conversation(db, contact["id"], "web")
    with pytest.raises(RuntimeError):
        with store.transaction(db):
            store.add_message(db, conv["id"], direction="out", author="bot", text="x", status="queued")
            raise RuntimeError("crash between writes")
    assert store.list_messages(db, conv["id"]) == []


def test_agent_accounts_and_console_sessions(db):
    agent = accounts.add(db, "Agent@Example.be", "Agent", "a-long-password")
    assert accounts.get_by_email(db, "agent@example.be")["id"] == agent["id"]
    with pytest.raises(ValueError):
        accounts.add(db, "agent@example.be", "Agent", "a-long-password")
    again = accounts.add(db, "agent@example.be", "Agent Two", "another-password", replace=True)
    assert again["id"] == agent["id"] and again["name"] == "Agent Two"
    assert [a["email"] for a in accounts.list_all(db)] == ["agent@example.be"]
    limited = accounts.add(db, "shop@example.be", "Shop Agent", "a-long-password", shops=["oscaro", "cats"])
    assert accounts.shops_of(db, limited) == ["cats", "oscaro"]
    token, csrf = auth.create_session(db, agent["id"])
    session, who = auth.lookup(db, token)
    assert session["csrf_token"] == csrf and who["id"] == agent["id"]
    auth.end_session(db, token)
    assert auth.lookup(db, token) is None


def test_a_dropped_connection_fails_one_statement_and_the_next_reconnects(db, postgres):
    import psycopg

    contact = store.get_or_create_contact(db, "web", "reconnect")
    with psycopg.connect(postgres.url, autocommit=True) as admin:  # what a Postgres restart does to us
        dbname = db.url.rsplit("/", 1)[1]
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))
    with pytest.raises(psycopg.OperationalError):
        store.get_contact(db, contact["id"])
    assert store.get_contact(db, contact["id"])["id"] == contact["id"]


def test_canned_responses_on_postgres(db):
    from connectors.console import canned

    first = canned.create(db, {"language": "nl", "shortcut": "levering", "title": "Levering",
                               "text": "Levering duurt 2-3 werkdagen (100% gratis vanaf 50 euro)."}, None)
    assert isinstance(first["id"], int) and "rowid" not in first
    with pytest.raises(canned.CannedError):
        canned.create(db, {"language": "nl", "shortcut": "levering", "title": "x", "text": "y"}, None)
    assert canned.update(db, first["id"], {"title": "Levertijd"})["title"] == "Levertijd"
    assert [c["shortcut"] for c in canned.list_for(db, language="nl")] == ["levering"]
    assert canned.delete(db, first["id"]) and canned.get(db, first["id"]) is None
