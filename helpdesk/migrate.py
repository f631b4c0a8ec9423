"""Ordered schema migrations for the SQLite files (gateway store, orders store).

Why: tables used to be created by whichever module touched them first (`CREATE TABLE IF NOT
EXISTS` in three places), so nothing said which schema a database file had, and a new column had
nowhere to go. Now each database has one ordered list of named steps; `apply` runs the ones a file
has not seen yet, each in its own transaction, and records them in `_migrations`. A step is never
edited after it shipped: a change is a new step at the end of the list.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Callable, Sequence, Union

Step = Union[str, Callable[[sqlite3.Connection], None]]  # SQL script, or a function for data changes
Migration = tuple[str, Step]


class MigrationError(RuntimeError):
    """A step failed; the database stays at the previous step (that step's transaction rolled back)."""


def applied(conn: sqlite3.Connection) -> list[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def apply(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Run the steps this database has not had yet, in order. Returns the names it ran."""
    names = [name for name, _ in migrations]
    if len(set(names)) != len(names):
        raise MigrationError(f"duplicate migration names in {names}")
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        return _apply_postgres(conn, migrations)
    done = set(applied(conn))
    ran = []
    for name, step in migrations:
        if name in done:
            continue
        saved = conn.isolation_level
        conn.isolation_level = None  # we manage the transaction ourselves
        try:
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM _migrations WHERE name=?", (name,)).fetchone():
                conn.execute("COMMIT")  # another process (a second gateway) ran it meanwhile
                continue
            if callable(step):
                step(conn)
            else:
                for statement in _statements(step):
                    conn.execute(statement)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                         (name, datetime.now(timezone.utc).isoformat(timespec="seconds")))
            conn.execute("COMMIT")
        except Exception as exc:
            conn.execute("ROLLBACK")
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        finally:
            conn.isolation_level = saved
        ran.append(name)
    return ran


def _statements(script: str) -> list[str]:
    """Split a script on `;` (our migrations hold no triggers or semicolons inside strings)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


PG_LOCK_KEY = 1101  # advisory lock: gateways starting together run each step once


def _apply_postgres(db, migrations: Sequence[Migration]) -> list[str]:
    """The same steps on Postgres (helpdesk/sql.py's PgDatabase): DDL through `execute_ddl`
    (identity keys), each step in a transaction under an advisory lock."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    ran = []
    for name, step in migrations:
        db.execute("BEGIN")
        try:
            db.execute("SELECT pg_advisory_xact_lock(?)", (PG_LOCK_KEY,))
            if db.execute("SELECT 1 FROM _migrations WHERE name=?", (name,)).fetchone():
                db.execute("COMMIT")
                continue
            if callable(step):
                step(db)
            else:
                for statement in _statements(step):
                    db.execute_ddl(statement)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                       (name, datetime.now(timezone.utc).isoformat(timespec="seconds")))
            db.execute("COMMIT")
        except Exception as exc:
            db.execute("ROLLBACK")
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        ran.append(name)
    return ran
