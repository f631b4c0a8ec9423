"""Failed order lookups per sender, per client address and per target (SQLite `lookup_failures`).

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


def _table(path: str | None = None) -> sqlite_utils.db.Table:
    path = path or settings.current().ORDERS_DB
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    if path not in _migrated:
        migrate.apply(db.conn, MIGRATIONS)
        _migrated.add(path)
    return db["lookup_failures"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def record_failure(identity: str, path: str | None = None) -> None:
    _table(path).insert({"identity": identity, "at": _now().isoformat()})


def record_failures(keys: list[str | None], path: str | None = None) -> None:
    at = _now().isoformat()
    _table(path).insert_all([{"identity": key, "at": at} for key in keys if key])


def blocked(keys: list[str | None], path: str | None = None) -> bool:
    """True when any key has reached its limit within the window."""
    return any(key and recent_failures(key, path) >= limit_for(key) for key in keys)


def recent_failures(identity: str, path: str | None = None) -> int:
    since = (_now() - window()).isoformat()
    return _table(path).count_where("identity = ? and at >= ?", [identity, since])


def is_blocked(identity: str, path: str | None = None) -> bool:
    return recent_failures(identity, path) >= limit_for(identity)
