"""Conversation store: the only module that writes SQL for contacts, conversations, messages, events.

Everything the gateway promises about durability rests here: an inbound message is committed
before `flow.receive` returns (so adapters may acknowledge), and an outbound message is committed
as `queued` before any channel sees it. The connection runs in autocommit mode with WAL, so every
write below is durable against a killed process the moment the call returns.

All timestamps are ISO-8601 UTC text; `buttons`/`media`/`data` are JSON text.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

from connectors.migrations import MIGRATIONS
from helpdesk import migrate, sql

STATES = ("bot", "pending", "agent", "closed")
DIRECTIONS = ("in", "out")
AUTHORS = ("customer", "bot", "agent", "system")
STATUSES = ("received", "queued", "sent", "delivered", "read", "failed")

# Delivery statuses only move forward (a late "sent" callback must not undo "read").
_STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4, "received": 0}

class StoreError(ValueError):
    """Bad input to the store (unknown conversation, invalid state...): nothing was written."""


class DuplicateInbound(StoreError):
    """An inbound channel message id is already stored (maybe by another gateway): `.existing`."""

    def __init__(self, existing: dict) -> None:
        super().__init__("inbound message already stored")
        self.existing = existing


def now() -> str:
    """Current UTC time as ISO-8601 text (sortable, so SQL can compare timestamps as strings)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def later(seconds: float) -> str:
    """A UTC timestamp `seconds` from now (for retry schedules)."""
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def open_configured(settings) -> sqlite_utils.Database:
    """The store the settings name: Postgres at DATABASE_URL when set, else SQLite at HELPDESK_DB."""
    return open_db(settings.get("DATABASE_URL") or settings.HELPDESK_DB)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (and create if needed) the conversations database at `path` (a file, or a
    postgresql:// URL: then a `helpdesk.sql.PgDatabase` with the same surface).

    WAL + synchronous=NORMAL: a committed write survives a killed process, and readers (the
    console, tests) never block the gateway's writer.
    """
    if sql.is_postgres_url(str(path)):  # DATABASE_URL: same queries, through helpdesk/sql.py
        pg = sql.PgDatabase(str(path))
        migrate.apply(pg, MIGRATIONS)
        return pg
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(str(path))
    db.conn.isolation_level = None  # autocommit: every statement is durable when it returns
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA foreign_keys=ON")
    migrate.apply(db.conn, MIGRATIONS)
    return db


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """Group several writes so they land together or not at all."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def _rows(db: sqlite_utils.Database, query: str, params: tuple | dict = ()) -> list[dict]:
    return sql.rows(db, query, params)


def _row(db: sqlite_utils.Database, query: str, params: tuple | dict = ()) -> dict | None:
    return sql.row(db, query, params)


# ---------------------------------------------------------------- contacts


def get_or_create_contact(db: sqlite_utils.Database, channel: str, identity: str,
                          name: str | None = None) -> dict:
    """The contact for one channel identity (phone number, email address, web token hash)."""
    if not channel or not identity:
        raise StoreError("contact needs a channel and an identity")
    db.execute(
        "INSERT OR IGNORE INTO contacts (channel, identity, name, created_at) VALUES (?,?,?,?)",
        (channel, identity, name, now()),
    )
    contact = _row(db, "SELECT * FROM contacts WHERE channel=? AND identity=?", (channel, identity))
    if name and not contact["name"]:
        db.execute("UPDATE contacts SET name=? WHERE id=?", (name, contact["id"]))
        contact["name"] = name
    return contact


def get_contact(db: sqlite_utils.Database, contact_id: int) -> dict | None:
    return _row(db, "SELECT * FROM contacts WHERE id=?", (contact_id,))


# ---------------------------------------------------------------- conversations


def new_conversation_id() -> str:
    """Conversation ids double as Rasa sender ids: unguessable, URL-safe, no personal data."""
    return uuid.uuid4().hex


def create_conversation(db: sqlite_utils.Database, contact_id: int, channel: str, *,
                        language: str | None = None, thread_key: str | None = None,
                        token_hash: str | None = None, conversation_id: str | None = None,
                        client_hash: str | None = None, shop: str | None = None,
                        shop_address: str | None = None) -> dict:
    """A fresh conversation in state `bot`. `conversation_id`: one announced before it existed
    (the web chat's session frame); `client_hash`: the web client's pseudonymous address; `shop`:
    the shops.yml id it belongs to for good; `shop_address`: the shop's number/inbox written to."""
    if language is not None and language not in ("nl", "fr"):
        raise StoreError(f"language must be 'nl' or 'fr', got {language!r}")
    ts = now()
    conv_id = conversation_id or new_conversation_id()
    db.execute(
        "INSERT INTO conversations (id, contact_id, channel, language, state, created_at, updated_at,"
        " thread_key, token_hash, client_hash, shop, shop_address) VALUES (?,?,?,?,'bot',?,?,?,?,?,?,?)",
        (conv_id, contact_id, channel, language, ts, ts, thread_key, token_hash, client_hash, shop, shop_address),
    )
    add_event(db, conv_id, "created", "system", {"channel": channel, "shop": shop})
    return get_conversation(db, conv_id)


def get_conversation(db: sqlite_utils.Database, conversation_id: str) -> dict | None:
    return _row(db, "SELECT * FROM conversations WHERE id=?", (conversation_id,))


def require_conversation(db: sqlite_utils.Database, conversation_id: str) -> dict:
    conv = get_conversation(db, conversation_id)
    if conv is None:
        raise StoreError(f"no conversation {conversation_id!r}")
    return conv


def open_conversation_for_contact(db: sqlite_utils.Database, contact_id: int,
                                  shop: str | None = None) -> dict | None:
    """The contact's newest conversation that is not closed (WhatsApp/web reuse it). With `shop`,
    only that shop's: one customer writing to two shops' numbers has two conversations."""
    if shop is None:
        return _row(
            db,
            "SELECT * FROM conversations WHERE contact_id=? AND state != 'closed'"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (contact_id,),
        )
    return _row(
        db,
        "SELECT * FROM conversations WHERE contact_id=? AND state != 'closed' AND shop=?"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (contact_id, shop),
    )


def latest_conversation_for_contact(db: sqlite_utils.Database, contact_id: int) -> dict | None:
    return _row(
        db,
        "SELECT * FROM conversations WHERE contact_id=? ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (contact_id,),
    )


def conversation_by_thread(db: sqlite_utils.Database, channel: str, thread_key: str) -> dict | None:
    """The newest conversation of an email thread (any state)."""
    return _row(
        db,
        "SELECT * FROM conversations WHERE channel=? AND thread_key=?"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (channel, thread_key),
    )


def conversation_by_token_hash(db: sqlite_utils.Database, token_hash: str) -> dict | None:
    """The newest conversation holding this web-chat token hash."""
    return _row(
        db,
        "SELECT * FROM conversations WHERE token_hash=? ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (token_hash,),
    )


_CONVERSATION_FIELDS = {"language", "state", "assigned_agent_id", "handoff_reason",
                        "last_customer_message_at", "pending_since", "thread_key", "token_hash",
                        "reply_email"}


def update_conversation(db: sqlite_utils.Database, conversation_id: str, **fields: Any) -> dict:
    """Change some columns of a conversation; bumps `updated_at`. Returns the new row."""
    unknown = set(fields) - _CONVERSATION_FIELDS
    if unknown:
        raise StoreError(f"unknown conversation fields: {sorted(unknown)}")
    if "state" in fields and fields["state"] not in STATES:
        raise StoreError(f"state must be one of {STATES}, got {fields['state']!r}")
    if fields.get("language") not in (None, "nl", "fr"):
        raise StoreError(f"language must be 'nl' or 'fr', got {fields['language']!r}")
    require_conversation(db, conversation_id)
    fields["updated_at"] = now()
    assignments = ", ".join(f"{k}=?" for k in fields)
    db.execute(f"UPDATE conversations SET {assignments} WHERE id=?", (*fields.values(), conversation_id))
    return get_conversation(db, conversation_id)


def transition(db: sqlite_utils.Database, conversation_id: str, from_states: tuple[str, ...],
               **fields: Any) -> dict | None:
    """Compare-and-set: change columns only if the state is still one of `from_states`.

    One UPDATE ... WHERE state IN (...), so two agents taking the same conversation can't both
    win, whatever process they run in. Returns the new row, or None when the state had moved on.
    (Added by the agent-console work.)
    """
    unknown = set(fields) - _CONVERSATION_FIELDS
    if unknown:
        raise StoreError(f"unknown conversation fields: {sorted(unknown)}")
    if "state" in fields and fields["state"] not in STATES:
        raise StoreError(f"state must be one of {STATES}, got {fields['state']!r}")
    fields["updated_at"] = now()
    assignments = ", ".join(f"{k}=?" for k in fields)
    marks = ",".join("?" for _ in from_states)
    cursor = db.execute(f"UPDATE conversations SET {assignments} WHERE id=? AND state IN ({marks})",
                        (*fields.values(), conversation_id, *from_states))
    return get_conversation(db, conversation_id) if cursor.rowcount == 1 else None


def _shop_filter(shops: list[str] | None, default_shop: str | None) -> tuple[str, tuple]:
    """SQL condition for "conversation of one of `shops`" (None = any shop). A conversation made
    before shops existed (shop NULL) counts as `default_shop`'s."""
    if shops is None:
        return "", ()
    if not shops:
        return " AND 0", ()
    marks = ",".join("?" * len(shops))
    if default_shop in shops:
        return f" AND (shop IN ({marks}) OR shop IS NULL)", tuple(shops)
    return f" AND shop IN ({marks})", tuple(shops)


def list_conversations(db: sqlite_utils.Database, state: str | None = None, limit: int = 200, *,
                       shops: list[str] | None = None, default_shop: str | None = None) -> list[dict]:
    where, params = _shop_filter(shops, default_shop)
    if state is None:
        return _rows(db, f"SELECT * FROM conversations WHERE 1{where} ORDER BY updated_at DESC LIMIT ?",
                     (*params, limit))
    return _rows(db, f"SELECT * FROM conversations WHERE state=?{where} ORDER BY updated_at DESC LIMIT ?",
                 (state, *params, limit))


def pending_queue(db: sqlite_utils.Database, limit: int = 1000, *, shops: list[str] | None = None,
                  default_shop: str | None = None) -> list[dict]:
    """Pending conversations, longest waiting first; escalations in the same millisecond keep
    the order they happened in (rowid), not the random order of their ids. `shops`: only theirs."""
    where, params = _shop_filter(shops, default_shop)
    return _rows(db, f"SELECT * FROM conversations WHERE state='pending'{where}"
                     " ORDER BY COALESCE(pending_since, updated_at), rowid LIMIT ?", (*params, limit))


def queued_for_client(db: sqlite_utils.Database, client_hash: str) -> int:
    """How many conversations of one client address wait in the agents' queue."""
    row = _row(db, "SELECT COUNT(*) AS n FROM conversations WHERE client_hash=? AND state='pending'",
               (client_hash,))
    return row["n"] if row else 0


# ---------------------------------------------------------------- messages


def _decode_message(row: dict | None) -> dict | None:
    if row is None:
        return None
    for key in ("buttons", "media", "template"):
        row[key] = json.loads(row[key]) if row.get(key) else None
    row["internal"] = bool(row["internal"])
    return row


def add_message(db: sqlite_utils.Database, conversation_id: str, *, direction: str, author: str,
                text: str | None, status: str, buttons: list[dict] | None = None,
                media: list | None = None, internal: bool = False,
                channel_message_id: str | None = None, agent_id: int | None = None,
                template: dict | None = None, channel: str | None = None) -> dict:
    """Store one message and return its row. Inbound: `received`; outbound: `queued`.

    `template`: a WhatsApp message template to send instead of free text (see migration 1401).
    An inbound message with a `channel_message_id` and its `channel` is unique (insert-or-get):
    a second copy raises `DuplicateInbound` carrying the first, even when two gateways race."""
    if direction not in DIRECTIONS:
        raise StoreError(f"direction must be one of {DIRECTIONS}")
    if author not in AUTHORS:
        raise StoreError(f"author must be one of {AUTHORS}")
    if status not in STATUSES:
        raise StoreError(f"status must be one of {STATUSES}")
    require_conversation(db, conversation_id)
    ts = now()
    inbound_channel = channel if direction == "in" and channel_message_id else None
    try:
        cursor = db.execute(
            "INSERT INTO messages (conversation_id, direction, author, agent_id, text, buttons, media,"
            " internal, channel_message_id, status, attempts, next_attempt_at, created_at, template,"
            " inbound_channel) VALUES (?,?,?,?,?,?,?,?,?,?,0,?,?,?,?)",
            (conversation_id, direction, author, agent_id, text,
             json.dumps(buttons, ensure_ascii=False) if buttons else None,
             json.dumps(media, ensure_ascii=False) if media else None,
             1 if internal else 0, channel_message_id, status,
             ts if status == "queued" else None, ts,
             json.dumps(template, ensure_ascii=False) if template else None, inbound_channel),
        )
    except sql.integrity_errors():
        existing = find_inbound(db, inbound_channel, channel_message_id) if inbound_channel else None
        if existing is None:
            raise
        raise DuplicateInbound(existing) from None
    return get_message(db, cursor.lastrowid)


def get_message(db: sqlite_utils.Database, message_id: int) -> dict | None:
    return _decode_message(_row(db, "SELECT * FROM messages WHERE id=?", (message_id,)))


def find_inbound(db: sqlite_utils.Database, channel: str, channel_message_id: str) -> dict | None:
    """An inbound message already stored under this channel's message id (webhook redelivery)."""
    return _decode_message(_row(
        db,
        "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.channel_message_id=? AND m.direction='in' AND c.channel=? LIMIT 1",
        (channel_message_id, channel),
    ))


def list_messages(db: sqlite_utils.Database, conversation_id: str, *, include_internal: bool = False,
                  limit: int = 500) -> list[dict]:
    """A conversation's messages, oldest first (the newest `limit`)."""
    where = "" if include_internal else " AND internal=0"
    rows = _rows(
        db,
        f"SELECT * FROM (SELECT * FROM messages WHERE conversation_id=?{where}"
        " ORDER BY id DESC LIMIT ?) AS recent ORDER BY id",
        (conversation_id, limit),
    )
    return [_decode_message(r) for r in rows]


def mark_inbound_routed(db: sqlite_utils.Database, message_id: int) -> None:
    """An inbound message reached the bot (or the console queue): `received` -> `delivered`.

    Inbound messages still `received` after a restart were never routed and get routed again.
    """
    db.execute("UPDATE messages SET status='delivered' WHERE id=? AND direction='in'", (message_id,))


def unrouted_inbound(db: sqlite_utils.Database, since: str) -> list[dict]:
    """Inbound messages stored since `since` but never routed (the gateway died in between), oldest first."""
    return [_decode_message(r) for r in _rows(
        db,
        "SELECT * FROM messages WHERE direction='in' AND status='received' AND created_at >= ?"
        " ORDER BY id",
        (since,),
    )]


def unrouted_inbound_before(db: sqlite_utils.Database, before: str, limit: int = 500) -> list[dict]:
    """Inbound messages stored before `before` and still not routed, oldest first (any age)."""
    return [_decode_message(r) for r in _rows(
        db,
        "SELECT * FROM messages WHERE direction='in' AND status='received' AND created_at < ?"
        " ORDER BY id LIMIT ?",
        (before, limit),
    )]


def unrouted_inbound_stats(db: sqlite_utils.Database, before: str) -> dict:
    """How many inbound messages older than `before` are still unrouted, and the oldest one's time."""
    row = _row(db, "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM messages"
                   " WHERE direction='in' AND status='received' AND created_at < ?", (before,))
    return {"count": row["n"], "oldest": row["oldest"]}


_QUEUED = "m.direction='out' AND m.status='queued' AND m.internal=0"


def due_outbound(db: sqlite_utils.Database, limit_per_channel: int = 200, *,
                 busy: list[str] | tuple[str, ...] = (), at: str | None = None) -> list[dict]:
    """Queued outbound messages that are due now, oldest first, at most `limit_per_channel` per channel.

    Why in SQL: the outbox used to take the 200 oldest queued rows and sort out the due ones
    itself, so 200 backed-off WhatsApp messages hid a fresh web reply (and made the worker spin).
    A row is due when its `next_attempt_at` has passed and no earlier queued row of its
    conversation still waits for a retry (order within a conversation). Conversations in `busy`
    (a delivery is in flight) are left out. Each row carries its conversation's `channel`.
    """
    at = at or now()
    busy = list(busy)
    # `?` placeholders and an expanded IN list: the same SQL runs on SQLite and Postgres (helpdesk/sql.py)
    not_busy = f" AND m.conversation_id NOT IN ({','.join('?' for _ in busy)})" if busy else ""
    rows = _rows(
        db,
        "SELECT * FROM (SELECT m.*, c.channel AS channel,"
        " ROW_NUMBER() OVER (PARTITION BY c.channel ORDER BY m.id) AS channel_rank"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE {_QUEUED} AND COALESCE(m.next_attempt_at, '') <= ?{not_busy}"
        " AND NOT EXISTS (SELECT 1 FROM messages e WHERE e.conversation_id = m.conversation_id"
        "   AND e.direction='out' AND e.status='queued' AND e.internal=0 AND e.id < m.id"
        "   AND e.next_attempt_at > ?)) AS due"
        " WHERE channel_rank <= ? ORDER BY id",
        (at, *busy, at, limit_per_channel),
    )
    for row in rows:
        row.pop("channel_rank", None)
    return [_decode_message(r) for r in rows]


def queued_outbound_count(db: sqlite_utils.Database) -> int:
    """How many outbound messages still wait to be sent (due or backed off)."""
    return _row(db, f"SELECT COUNT(*) AS n FROM messages m WHERE {_QUEUED}")["n"]


def next_outbound_due_at(db: sqlite_utils.Database, *, after: str | None = None,
                         busy: list[str] | tuple[str, ...] = ()) -> str | None:
    """When the next backed-off message becomes due (after `after`), outside the `busy` conversations.

    Rows already due but not started (a channel at its concurrency cap) are not counted: the
    worker wakes for them when a delivery finishes, not by polling.
    """
    busy = list(busy)
    not_busy = f" AND m.conversation_id NOT IN ({','.join('?' for _ in busy)})" if busy else ""
    row = _row(db, f"SELECT MIN(m.next_attempt_at) AS t FROM messages m WHERE {_QUEUED}"
                   f" AND m.next_attempt_at > ?{not_busy}", (after or now(), *busy))
    return row["t"] if row else None


def claim_outbound(db: sqlite_utils.Database, message_id: int, owner: str, lease_seconds: float) -> bool:
    """Take the lease on a queued outbound message; False when another gateway holds it.

    One UPDATE decides (claimed by nobody, by us, or its lease expired), so two gateways on one
    store never both send a message. A gateway that dies mid-send leaves the lease to expire."""
    cursor = db.execute(
        "UPDATE messages SET claimed_by=?, claimed_until=? WHERE id=? AND status='queued'"
        " AND (claimed_by IS NULL OR claimed_by=? OR claimed_until < ?)",
        (owner, later(lease_seconds), message_id, owner, now()),
    )
    return cursor.rowcount == 1


def release_outbound(db: sqlite_utils.Database, message_id: int, owner: str) -> None:
    """Give the lease back (after sent/failed/retry scheduled): any gateway may retry it."""
    db.execute("UPDATE messages SET claimed_by=NULL, claimed_until=NULL WHERE id=? AND claimed_by=?",
               (message_id, owner))


def hold_lease(db: sqlite_utils.Database, name: str, owner: str, seconds: float) -> bool:
    """Take or renew the lease on a job that must run on one gateway only (the IMAP poller).

    True while `owner` holds it; another owner gets it only after it expired (its holder died
    or stopped renewing), so with several gateways exactly one runs the job."""
    db.execute("INSERT OR IGNORE INTO leases (name, owner, until) VALUES (?, NULL, NULL)", (name,))
    cursor = db.execute(
        "UPDATE leases SET owner=?, until=? WHERE name=? AND (owner IS NULL OR owner=? OR until < ?)",
        (owner, later(seconds), name, owner, now()),
    )
    return cursor.rowcount == 1


def release_lease(db: sqlite_utils.Database, name: str, owner: str) -> None:
    """A clean stop hands the job over at once instead of after the lease runs out."""
    db.execute("UPDATE leases SET owner=NULL, until=NULL WHERE name=? AND owner=?", (name, owner))


def mark_attempt(db: sqlite_utils.Database, message_id: int) -> None:
    """Count an attempt BEFORE sending, so a crash mid-send is visible afterwards."""
    db.execute("UPDATE messages SET attempts = attempts + 1 WHERE id=?", (message_id,))


def mark_sent(db: sqlite_utils.Database, message_id: int, channel_message_id: str | None) -> None:
    db.execute(
        "UPDATE messages SET status='sent', channel_message_id=COALESCE(?, channel_message_id),"
        " sent_at=?, error=NULL, next_attempt_at=NULL WHERE id=? AND status='queued'",
        (channel_message_id, now(), message_id),
    )


def mark_retry(db: sqlite_utils.Database, message_id: int, error: str, next_attempt_at: str) -> None:
    db.execute("UPDATE messages SET error=?, next_attempt_at=? WHERE id=?",
               (error[:1000], next_attempt_at, message_id))


def mark_failed(db: sqlite_utils.Database, message_id: int, error: str) -> None:
    db.execute("UPDATE messages SET status='failed', error=?, next_attempt_at=NULL WHERE id=?",
               (error[:1000], message_id))


def set_delivery_status(db: sqlite_utils.Database, channel_message_id: str, status: str) -> dict | None:
    """A channel's status callback (Twilio `delivered`/`read`/`failed`...). Never moves backwards.

    Returns the updated outbound message, or None when the id is unknown.
    """
    if status not in STATUSES:
        raise StoreError(f"status must be one of {STATUSES}, got {status!r}")
    row = _decode_message(_row(db, "SELECT * FROM messages WHERE channel_message_id=? AND direction='out'"
                                   " ORDER BY id DESC LIMIT 1", (channel_message_id,)))
    if row is None:
        return None
    if _STATUS_RANK.get(status, 0) > _STATUS_RANK.get(row["status"], 0):
        db.execute("UPDATE messages SET status=? WHERE id=?", (status, row["id"]))
        row["status"] = status
    return row


# ---------------------------------------------------------------- events


def add_event(db: sqlite_utils.Database, conversation_id: str | None, type: str, actor: str,
              data: dict | None = None) -> int:
    """Append to the audit trail (state changes, handoffs, errors worth a look)."""
    cursor = db.execute(
        "INSERT INTO events (conversation_id, type, actor, data, created_at) VALUES (?,?,?,?,?)",
        (conversation_id, type, actor, json.dumps(data, ensure_ascii=False) if data else None, now()),
    )
    return cursor.lastrowid


def list_events(db: sqlite_utils.Database, conversation_id: str) -> list[dict]:
    rows = _rows(db, "SELECT * FROM events WHERE conversation_id=? ORDER BY id", (conversation_id,))
    for r in rows:
        r["data"] = json.loads(r["data"]) if r["data"] else None
    return rows


# ---------------------------------------------------------------- customer satisfaction


def csat_asked(db: sqlite_utils.Database, conversation_id: str) -> bool:
    """Mark that the customer was asked to rate; False if they already were (asked once only)."""
    cursor = db.execute("UPDATE conversations SET csat_asked_at=? WHERE id=? AND csat_asked_at IS NULL",
                        (now(), conversation_id))
    return cursor.rowcount == 1


def csat_answered(db: sqlite_utils.Database, conversation_id: str, score: int) -> bool:
    """Store the customer's 1-5 rating; only the first answer to a question asked counts."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise StoreError(f"a rating is 1..5, got {score!r}")
    cursor = db.execute(
        "UPDATE conversations SET csat_score=?, csat_answered_at=? WHERE id=? AND csat_asked_at IS NOT NULL"
        " AND csat_score IS NULL", (score, now(), conversation_id))
    return cursor.rowcount == 1


# ---------------------------------------------------------------- web-chat tokens


def new_token() -> tuple[str, str]:
    """A web-chat session token and the hash we keep (a leaked database reveals no usable token)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
