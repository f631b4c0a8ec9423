"""Agent accounts: the `agents` table and argon2 password hashes.

Plain SQL through helpdesk/sql.py, so the same queries run on SQLite and on Postgres.

Only hashes are stored (argon2id via argon2-cffi). Verification of an unknown email still runs a
hash check against a dummy hash so the response time doesn't tell which emails exist.
"""
from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlite_utils import Database

from helpdesk import sql

ROLES = ("agent", "admin")
MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def validate(email: str, name: str, role: str, password: str) -> str:
    """Normalise the email and refuse bad input with a message fit for the CLI user."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"not an email address: {email!r}")
    if not name.strip():
        raise ValueError("the agent needs a name")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must have at least {MIN_PASSWORD} characters")
    return email


def add(db: Database, email: str, name: str, password: str, role: str = "agent",
        replace: bool = False, shops: list[str] | None = None) -> dict:
    """Store a new agent (or, with `replace`, reset an existing one's name/role/password).
    `shops`: limit the agent to these shops (None: every shop; with `replace`, keep the old limit)."""
    email = validate(email, name, role, password)
    existing = get_by_email(db, email)
    if existing and not replace:
        raise ValueError(f"an agent with email {email} already exists")
    row = {"email": email, "name": name.strip(), "role": role, "password_hash": _hasher.hash(password)}
    if existing:
        db.execute("UPDATE agents SET name=?, role=?, password_hash=? WHERE id=?",
                   (row["name"], row["role"], row["password_hash"], existing["id"]))
        if shops is not None:
            set_shops(db, existing["id"], shops)
        return get(db, existing["id"])
    cursor = db.execute("INSERT INTO agents (email, name, role, password_hash, created_at) VALUES (?,?,?,?,?)",
                        (email, row["name"], role, row["password_hash"], now_iso()))
    agent_id = cursor.lastrowid
    if shops:
        set_shops(db, agent_id, shops)
    return get(db, agent_id)


def active(agent: dict) -> bool:
    """Disabled agents (helpdesk agents disable) can't log in and lose their sessions."""
    return not agent.get("disabled_at")


def disable(db: Database, email: str) -> dict:
    """Mark an agent disabled (kept for the names on past messages). Raises ValueError if unknown."""
    agent = get_by_email(db, email)
    if agent is None:
        raise ValueError(f"no agent with email {email.strip().lower()}")
    if not agent.get("disabled_at"):
        db.execute("UPDATE agents SET disabled_at=? WHERE id=?", (now_iso(), agent["id"]))
    return get(db, agent["id"])


def enable(db: Database, email: str) -> dict:
    agent = get_by_email(db, email)
    if agent is None:
        raise ValueError(f"no agent with email {email.strip().lower()}")
    db.execute("UPDATE agents SET disabled_at=NULL WHERE id=?", (agent["id"],))
    return get(db, agent["id"])


def remove(db: Database, email: str) -> dict:
    """Delete an agent's account; past messages keep their agent id. Returns the removed row."""
    agent = get_by_email(db, email)
    if agent is None:
        raise ValueError(f"no agent with email {email.strip().lower()}")
    db.execute("DELETE FROM agents WHERE id=?", (agent["id"],))
    return agent


def public(agent: dict) -> dict:
    """The fields that may leave the server (never the hash)."""
    return {k: agent[k] for k in ("id", "email", "name", "role")}


# ---------------------------------------------------------------- shops an agent works for


def set_shops(db: Database, agent_id: int, shop_ids: list[str] | None) -> None:
    """Limit an agent to some shops (shops.yml ids); None or [] = every shop."""
    with db.conn:
        db.execute("DELETE FROM agent_shops WHERE agent_id=?", [agent_id])
        for shop_id in dict.fromkeys(shop_ids or []):
            db.execute("INSERT INTO agent_shops (agent_id, shop) VALUES (?, ?)", [agent_id, shop_id])


def shops_of(db: Database, agent: dict) -> list[str] | None:
    """The shops whose conversations the agent sees and acts on; None = all (admins always)."""
    if agent.get("role") == "admin":
        return None
    rows = db.execute("SELECT shop FROM agent_shops WHERE agent_id=? ORDER BY shop", [agent["id"]]).fetchall()
    return [r[0] for r in rows] or None


def get(db: Database, agent_id: int) -> dict | None:
    return sql.row(db, "SELECT * FROM agents WHERE id=?", (agent_id,))


def get_by_email(db: Database, email: str) -> dict | None:
    return sql.row(db, "SELECT * FROM agents WHERE email=?", (email.strip().lower(),))


def list_all(db: Database) -> list[dict]:
    return [public(a) | {"created_at": a["created_at"], "disabled_at": a.get("disabled_at"),
                         "shops": shops_of(db, a)}
            for a in sql.rows(db, "SELECT * FROM agents ORDER BY id")]


def check_password(password_hash: str | None, password: str) -> bool:
    """argon2 verification; CPU-heavy (~50 ms), so the web layer calls it in an executor."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
