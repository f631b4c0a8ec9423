"""Failed order lookups per sender, per client address and per target (table `lookup_failures`:
in ORDERS_DB, or on Postgres with DATABASE_URL so every action server counts the same failures).

The per-conversation limit lives in the `failed_lookups` slot; this table stops probing across
conversations. A web visitor without a token is a new customer each time, so counting per sender
alone is not enough:
- per sender (`sender_identity` metadata from the gateway, else Rasa's sender id),
- per client address (`client` metadata: a keyed hash made by the gateway, never the address),
- per target: the email, plate and order number asked about (stored as hashes), so spreading
  guesses over many chats and addresses still stops at LOOKUP_MAX_FAILURES_PER_TARGET for one
  customer's data; after that nobody gets that target from the bot, the conversation goes to a person.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import sqlite_utils

from actions.migrations import MIGRATIONS
from helpdesk import migrate, settings

_migrated: set[str] = set()  # database files already brought to the current schema in this process


def max_failures() -> int:
    return settings.current().LOOKUP_MAX_FAILURES_PER_SENDER


def limit_for(key: str) -> int:
    """The limit that applies to one counted key (see `client_key`, `target_keys`)."""
    current = settings.current()
    if key.startswith("client:"):
        return current.LOOKUP_MAX_FAILURES_PER_CLIENT
    if key.startswith("target:"):
        return current.LOOKUP_MAX_FAILURES_PER_TARGET
    return current.LOOKUP_MAX_FAILURES_PER_SENDER


def client_key(client: object) -> str | None:
    return f"client:{str(client)[:64]}" if client else None


def _digest(kind: str, value: str) -> str:
    return f"target:{kind}:" + hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:24]


def target_keys(email: str | None, order_number: str | None, plate: str | None) -> list[str]:
    """What a lookup asked about, as hashes (no emails or plates in this table or in logs)."""
    keys = []
    if email and email.strip():
        keys.append(_digest("email", email.strip().lower()))
    if order_number and str(order_number).strip():
        keys.append(_digest("order", str(order_number).strip()))
    if plate and plate.strip():
        keys.append(_digest("plate", re.sub(r"[^A-Z0-9]", "", plate.upper())))
    return keys


def window() -> dt.timedelta:
    return dt.timedelta(hours=settings.current().LOOKUP_FAILURE_WINDOW_HOURS)


_pg: dict[str, object] = {}  # DATABASE_URL -> one connection per action-server process


def _db(path: str | None = None):
    """Where the counts live: Postgres at DATABASE_URL when set (every action server, on any
    machine, sees the same counts), else the SQLite file ORDERS_DB. Same SQL on both
    (helpdesk/sql.py)."""
    url = None if path else settings.current().DATABASE_URL
    if url:
        if url not in _pg:
            from helpdesk.sql import PgDatabase

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
    record_failures([identity], path)


def record_failures(keys: list[str | None], path: str | None = None) -> None:
    at, db = _now().isoformat(), _db(path)
    for key in keys:
        if key:
            db.execute("INSERT INTO lookup_failures (identity, at) VALUES (?, ?)", (key, at))


def blocked(keys: list[str | None], path: str | None = None) -> bool:
    """True when any key has reached its limit within the window."""
    return any(key and recent_failures(key, path) >= limit_for(key) for key in keys)


def recent_failures(identity: str, path: str | None = None) -> int:
    since = (_now() - window()).isoformat()
    row = _db(path).execute("SELECT COUNT(*) FROM lookup_failures WHERE identity = ? AND at >= ?",
                            (identity, since)).fetchone()
    return int(row[0])


def is_blocked(identity: str, path: str | None = None) -> bool:
    return recent_failures(identity, path) >= limit_for(identity)
