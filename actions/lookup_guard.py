"""Failed order lookups per sender, across conversations (table `lookup_failures`: in ORDERS_DB,
or on Postgres with DATABASE_URL).

The per-conversation limit lives in the `failed_lookups` slot; this table stops a sender from
probing emails/orders by simply starting new conversations. The sender identity comes from the
gateway's metadata (`sender_identity`) when present, else Rasa's sender id.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlite_utils

from actions.migrations import MIGRATIONS
from helpdesk import migrate, settings

_migrated: set[str] = set()  # database files already brought to the current schema in this process


def max_failures() -> int:
    return settings.current().LOOKUP_MAX_FAILURES_PER_SENDER


def window() -> dt.timedelta:
    return dt.timedelta(hours=settings.current().LOOKUP_FAILURE_WINDOW_HOURS)


_pg: dict[str, object] = {}  # DATABASE_URL -> one connection per action-server process


def _db(path: str | None = None):
    """Where the counts live: Postgres at DATABASE_URL when set (every action server, on any
    machine, sees the same counts), else the SQLite file ORDERS_DB. Same SQL on both
    (connectors/sql.py)."""
    url = None if path else settings.current().DATABASE_URL
    if url:
        if url not in _pg:
            from connectors.sql import PgDatabase

            db = PgDatabase(url)
            migrate.apply(db, MIGRATIONS)  # shares `_migrations` with the gateway's steps: names differ
            _pg[url] = db
        return _pg[url]
    path = path or settings.current().ORDERS_DB
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.conn.isolation_level = None  # autocommit, like the gateway's store
    if path not in _migrated:
        migrate.apply(db.conn, MIGRATIONS)
        _migrated.add(path)
    return db


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def record_failure(identity: str, path: str | None = None) -> None:
    _db(path).execute("INSERT INTO lookup_failures (identity, at) VALUES (?, ?)", (identity, _now().isoformat()))


def recent_failures(identity: str, path: str | None = None) -> int:
    since = (_now() - window()).isoformat()
    row = _db(path).execute("SELECT COUNT(*) FROM lookup_failures WHERE identity = ? AND at >= ?",
                            (identity, since)).fetchone()
    return int(row[0])


def is_blocked(identity: str, path: str | None = None) -> bool:
    return recent_failures(identity, path) >= max_failures()
