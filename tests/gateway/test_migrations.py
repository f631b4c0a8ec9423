"""Schema migrations: a new file gets every step once, an old file is adopted with its data, and a
failing step leaves the database at the step before."""
from __future__ import annotations

import sqlite3

import pytest

from actions.migrations import MIGRATIONS as ORDERS_MIGRATIONS
from actions.orders_store import SqliteOrdersStore
from connectors import store
from connectors.migrations import MIGRATIONS
from helpdesk import migrate


def test_new_database_gets_every_step_once(tmp_path):
    db = store.open_db(tmp_path / "h.db")
    assert migrate.applied(db.conn) == [name for name, _ in MIGRATIONS]
    assert {"contacts", "conversations", "messages", "events", "agents", "agent_sessions"} <= set(db.table_names())
    db.conn.close()
    again = store.open_db(tmp_path / "h.db")  # opening again runs nothing
    assert migrate.apply(again.conn, MIGRATIONS) == []
    assert len(migrate.applied(again.conn)) == len(MIGRATIONS)


def test_database_from_before_migrations_is_adopted_with_its_rows(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE contacts (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, identity TEXT NOT NULL,"
        " name TEXT, created_at TEXT NOT NULL, UNIQUE (channel, identity));"
        "INSERT INTO contacts (channel, identity, created_at) VALUES ('web', 'abc', '2026-01-01T00:00:00+00:00');")
    conn.commit()
    conn.close()
    db = store.open_db(path)
    assert store.get_or_create_contact(db, "web", "abc")["id"] == 1  # the old row is still there
    assert migrate.applied(db.conn)[0] == "0001_core"


def test_failing_step_rolls_back_and_names_itself(tmp_path):
    conn = sqlite3.connect(tmp_path / "x.db")
    steps = [("0001_ok", "CREATE TABLE a (x INTEGER)"),
             ("0002_bad", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1)")]
    with pytest.raises(migrate.MigrationError, match="0002_bad"):
        migrate.apply(conn, steps)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables and "b" not in tables  # step 2's first statement was rolled back too
    assert migrate.applied(conn) == ["0001_ok"]


def test_step_names_must_be_unique(tmp_path):
    conn = sqlite3.connect(tmp_path / "y.db")
    with pytest.raises(migrate.MigrationError, match="duplicate"):
        migrate.apply(conn, [("0001_x", "SELECT 1"), ("0001_x", "SELECT 2")])


def test_orders_database_has_its_own_steps(tmp_path):
    orders = SqliteOrdersStore(tmp_path / "orders.db")
    assert migrate.applied(orders.db.conn) == [name for name, _ in ORDERS_MIGRATIONS]
    assert {"orders", "lookup_failures"} <= set(orders.db.table_names())
