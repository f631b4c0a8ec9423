"""The endpoints.yml `helpdesk up` hands to each Rasa server: action server, tracker store, lock store.

Why a SQL tracker store by default: Rasa's in-memory trackers die with the process, so a restart
forgot every open order form. A SQLite file under var/ (RASA_TRACKER_DB) needs no server;
DATABASE_URL=postgresql://... puts the trackers on Postgres beside the gateway's store.
REDIS_URL gives Rasa a Redis lock store: only then can several Rasa servers take turns of the
same conversation safely (the in-memory lock is per process).
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

# Rasa's SQL tracker store names its table `events`, like the gateway's audit trail: on one
# Postgres database Rasa gets its own schema (POSTGRESQL_SCHEMA, read by Rasa itself).
RASA_PG_SCHEMA = "rasa"

from helpdesk.settings import Settings


def _q(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def sqlalchemy_url(database_url: str) -> str:
    """DATABASE_URL as SQLAlchemy 1.4 (Rasa's) wants it: `postgres://` is spelled `postgresql://`."""
    if database_url.startswith("postgres://"):
        return "postgresql://" + database_url[len("postgres://"):]
    return database_url


def tracker_store_lines(current: Settings) -> list[str]:
    if current.DATABASE_URL:
        return ["tracker_store:", "  type: SQL", f"  url: {_q(sqlalchemy_url(current.DATABASE_URL))}"]
    return ["tracker_store:", "  type: SQL", "  dialect: sqlite", f"  db: {_q(current.RASA_TRACKER_DB)}"]


def lock_store_lines(current: Settings) -> list[str]:
    if not current.REDIS_URL:
        return []
    url = urlsplit(current.REDIS_URL)
    lines = ["lock_store:", "  type: redis", f"  url: {_q(url.hostname or '127.0.0.1')}",
             f"  port: {url.port or 6379}", f"  db: {int((url.path or '/0').strip('/') or 0)}",
             "  key_prefix: helpdesk"]
    if url.password:
        lines.append(f"  password: {_q(url.password)}")
    if url.scheme == "rediss":
        lines.append("  use_ssl: true")
    return lines


def endpoints_yaml(current: Settings, actions_url: str, actions_token: str | None = None) -> str:
    """Rasa's endpoints.yml: the action server (with the token Rasa sends it as `?token=`), the
    tracker store and, with REDIS_URL, the lock store."""
    token = [f"  token: {_q(actions_token)}"] if actions_token else []
    lines = ["action_endpoint:", f"  url: {_q(actions_url + '/webhook')}", *token,
             *tracker_store_lines(current), *lock_store_lines(current)]
    return "\n".join(lines) + "\n"


def rasa_env(current: Settings) -> dict[str, str]:
    """Environment Rasa needs for the tracker store above."""
    return {"POSTGRESQL_SCHEMA": RASA_PG_SCHEMA} if current.DATABASE_URL else {}


def prepare_tracker_store(current: Settings) -> None:
    """Create Rasa's schema on Postgres before the Rasa servers start (Rasa only checks it exists)."""
    if not current.DATABASE_URL:
        return
    import psycopg

    with psycopg.connect(current.DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{RASA_PG_SCHEMA}"')
