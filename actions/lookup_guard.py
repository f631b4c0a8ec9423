"""Failed order lookups per sender, across conversations (SQLite table `lookup_failures`).

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


def recent_failures(identity: str, path: str | None = None) -> int:
    since = (_now() - window()).isoformat()
    return _table(path).count_where("identity = ? and at >= ?", [identity, since])


def is_blocked(identity: str, path: str | None = None) -> bool:
    return recent_failures(identity, path) >= max_failures()
