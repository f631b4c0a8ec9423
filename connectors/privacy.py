"""GDPR requests: export everything held about one customer, or forget it; and retention.

Where a customer's data lives: the gateway store (contact, conversations, messages, events), Rasa's
trackers (one per conversation id, what the bot collected: slots, the texts it parsed), and the
orders database's `lookup_failures` (keyed `contact:<id>`, or the conversation id without one).

Forgetting keeps the numbers and drops the person: the contact row stays as an anonymous
placeholder (`forgotten:<random>`, no name), conversations keep channel, language, state, times,
handoff reason and rating but lose thread key and token hash, messages keep direction, author and
times but lose text, buttons, media, channel ids and errors; events keep only what reports read.
Rasa's trackers are replaced by an empty one through its HTTP API (`PUT .../tracker/events`).
SQLite runs with `secure_delete` and the WAL is checkpointed, so the old bytes are gone from the
files too, not only from the rows.

IDENTITY forms: an email address, `whatsapp:+32...` (or `+32...`), `web:<contact id>`, a bare
contact id, or a channel identity as stored.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from pathlib import Path
from typing import Any

import aiohttp
import sqlite_utils

from connectors import rasa_client, store

log = logging.getLogger(__name__)

SAFE_EVENT_DATA = {"handoff": ("reason", "position", "business_hours"), "faq": ("decision", "lang", "id", "score"),
                   "csat": ("score",), "taken": ("from",), "created": ("channel",)}


class PrivacyError(ValueError):
    """No such customer, or an IDENTITY we can't read: a clear message, nothing changed."""


def _rows(db, sql: str, params: tuple | list = ()) -> list[dict]:
    cursor = db.execute(sql, params)
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, r)) for r in cursor.fetchall()]


def find_contacts(db, identity: str) -> list[dict]:
    """The contacts an IDENTITY names (an email address may have written on several channels)."""
    identity = (identity or "").strip()
    if not identity:
        raise PrivacyError("give an email address, whatsapp:+32..., or a web contact id")
    if identity.startswith("forgotten:"):
        return []
    if identity.lower().startswith("whatsapp:"):
        return _rows(db, "SELECT * FROM contacts WHERE channel='whatsapp' AND identity=?", (identity[9:].strip(),))
    if identity.lower().startswith("web:"):
        identity = identity[4:].strip()
        return _rows(db, "SELECT * FROM contacts WHERE channel='web' AND (CAST(id AS TEXT)=? OR identity=?)",
                     (identity, identity))
    if identity.isdigit():
        return _rows(db, "SELECT * FROM contacts WHERE id=?", (int(identity),))
    if "@" in identity:
        return _rows(db, "SELECT * FROM contacts WHERE lower(identity)=lower(?)", (identity,))
    return _rows(db, "SELECT * FROM contacts WHERE identity=?", (identity,))


def _conversations(db, contact_ids: list[int]) -> list[dict]:
    marks = ",".join("?" for _ in contact_ids)
    return _rows(db, f"SELECT * FROM conversations WHERE contact_id IN ({marks}) ORDER BY created_at", contact_ids)


def _lookup_keys(contacts: list[dict], conversations: list[dict]) -> list[str]:
    """The customer's keys in `lookup_failures` (actions/lookup_guard.py): sender, conversation,
    their web client's address hash, and their email address as a looked-up target."""
    from actions.lookup_guard import client_key, target_keys

    keys = [f"contact:{c['id']}" for c in contacts] + [c["id"] for c in conversations]
    keys += [k for c in conversations if (k := client_key(c.get("client_hash")))]
    for c in contacts:
        if "@" in (c["identity"] or ""):
            keys += target_keys(c["identity"], None, None)
    return keys


def _orders_db(path: str | None) -> sqlite_utils.Database | None:
    from helpdesk import settings

    path = path or settings.current().ORDERS_DB
    if not Path(path).is_file():
        return None
    db = sqlite_utils.Database(path)
    if "lookup_failures" not in db.table_names():
        db.conn.close()
        return None
    return db


def _rasa_token() -> str:
    """Rasa's HTTP API runs with --auth-token (RASA_TOKEN, generated per install)."""
    from helpdesk import settings
    from helpdesk.tokens import install_token

    return install_token("RASA_TOKEN", settings.current())


async def _tracker(http: aiohttp.ClientSession, rasa_url: str, conversation_id: str) -> dict:
    try:
        return await rasa_client.tracker(http, rasa_url, conversation_id, _rasa_token())
    except Exception as exc:  # Rasa down: say so in the export instead of failing it
        return {"unavailable": f"{type(exc).__name__}"}


async def export(db, identity: str, rasa_url: str | None = None, orders_db: str | None = None) -> dict:
    """Everything held about the customer, as one JSON-able dict."""
    contacts = find_contacts(db, identity)
    if not contacts:
        raise PrivacyError("no customer with that identity")
    convs = _conversations(db, [c["id"] for c in contacts])
    out: dict[str, Any] = {"identity": identity, "exported_at": store.now(), "contacts": contacts,
                           "conversations": []}
    async with aiohttp.ClientSession() as http:
        for conv in convs:
            messages = store.list_messages(db, conv["id"], include_internal=True, limit=100000)
            events = store.list_events(db, conv["id"])
            tracker = await _tracker(http, rasa_url, conv["id"]) if rasa_url else {"unavailable": "no RASA_URL"}
            out["conversations"].append({**conv, "messages": messages, "events": events,
                                         "rasa_tracker": {k: tracker.get(k) for k in ("slots", "events", "unavailable")
                                                          if k in tracker}})
    odb = _orders_db(orders_db)
    if odb is not None:
        keys = _lookup_keys(contacts, convs)
        marks = ",".join("?" for _ in keys)
        out["lookup_failures"] = _rows(odb, f"SELECT identity, at FROM lookup_failures WHERE identity IN ({marks})", keys)
        odb.conn.close()
    else:
        out["lookup_failures"] = []
    return out


async def _reset_tracker(http: aiohttp.ClientSession, rasa_url: str, conversation_id: str) -> bool:
    """Replace the conversation's Rasa tracker by an empty one. False when Rasa can't be reached."""
    url = f"{rasa_client.server_for(rasa_url, conversation_id)}/conversations/{conversation_id}/tracker/events"
    try:
        async with http.put(url, json=[], params={"token": _rasa_token()},
                            timeout=aiohttp.ClientTimeout(total=15)) as resp:
            return resp.status < 400
    except (aiohttp.ClientError, TimeoutError, OSError):
        return False


def _scrub_conversation(db, conversation_id: str) -> int:
    """Blank one conversation's personal data in the gateway store; returns messages blanked."""
    n = db.execute("UPDATE messages SET text=NULL, buttons=NULL, media=NULL, channel_message_id=NULL, error=NULL"
                   " WHERE conversation_id=?", (conversation_id,)).rowcount
    for event_id, type_, data in db.execute("SELECT id, type, data FROM events WHERE conversation_id=?",
                                            (conversation_id,)).fetchall():
        keep = SAFE_EVENT_DATA.get(type_, ())
        old = json.loads(data) if data else {}
        new = {k: old[k] for k in keep if k in old}
        db.execute("UPDATE events SET data=? WHERE id=?", (json.dumps(new) if new else None, event_id))
    db.execute("UPDATE conversations SET thread_key=NULL, token_hash=NULL, forgotten_at=? WHERE id=?",
               (store.now(), conversation_id))
    return n


def _anonymise_contact(db, contact_id: int) -> None:
    db.execute("UPDATE contacts SET identity=?, name=NULL WHERE id=?",
               (f"forgotten:{secrets.token_hex(8)}", contact_id))


def _flush(db) -> None:
    """Old page images must not survive in the WAL file."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _forget_conversations(db, conversation_ids: list[str], lookup_keys: list[str], rasa_url: str | None,
                                orders_db: str | None) -> dict:
    counts = {"conversations": 0, "messages": 0, "rasa_trackers": 0, "rasa_unreachable": 0, "lookup_failures": 0}
    if rasa_url:
        async with aiohttp.ClientSession() as http:
            for cid in conversation_ids:
                ok = await _reset_tracker(http, rasa_url, cid)
                counts["rasa_trackers" if ok else "rasa_unreachable"] += 1
    db.execute("PRAGMA secure_delete=ON")
    with store.transaction(db):
        for cid in conversation_ids:
            # an open conversation is closed first: nobody may go on answering a forgotten customer
            if store.transition(db, cid, ("bot", "pending", "agent"), state="closed", pending_since=None):
                store.add_event(db, cid, "closed", "system")
            counts["messages"] += _scrub_conversation(db, cid)
            counts["conversations"] += 1
    odb = _orders_db(orders_db)
    if odb is not None and lookup_keys:
        odb.execute("PRAGMA secure_delete=ON")
        marks = ",".join("?" for _ in lookup_keys)
        counts["lookup_failures"] = odb.execute(f"DELETE FROM lookup_failures WHERE identity IN ({marks})",
                                                lookup_keys).rowcount
        odb.conn.commit()
        _flush(odb)
        odb.conn.close()
    return counts


async def forget(db, identity: str, rasa_url: str | None = None, orders_db: str | None = None) -> dict:
    """Delete everything personal about the customer (the numbers stay). Returns counts."""
    contacts = find_contacts(db, identity)
    if not contacts:
        raise PrivacyError("no customer with that identity")
    convs = _conversations(db, [c["id"] for c in contacts])
    counts = await _forget_conversations(db, [c["id"] for c in convs], _lookup_keys(contacts, convs),
                                         rasa_url, orders_db)
    with store.transaction(db):
        for c in contacts:
            _anonymise_contact(db, c["id"])
    counts["contacts"] = len(contacts)
    _flush(db)
    log.info("forgot %d contact(s), %d conversation(s)", len(contacts), counts["conversations"])
    return counts


async def apply_retention(db, days: int, rasa_url: str | None = None, orders_db: str | None = None,
                          now: dt.datetime | None = None) -> dict:
    """Forget closed conversations last changed more than `days` ago; a contact with nothing
    else left is anonymised too."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = (now - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
    old = _rows(db, "SELECT id, contact_id FROM conversations WHERE state='closed' AND forgotten_at IS NULL"
                    " AND updated_at < ?", (cutoff,))
    if not old:
        return {"conversations": 0}
    counts = await _forget_conversations(db, [c["id"] for c in old], [c["id"] for c in old], rasa_url, orders_db)
    with store.transaction(db):
        for contact_id in {c["contact_id"] for c in old}:
            left = db.execute("SELECT COUNT(*) FROM conversations WHERE contact_id=? AND forgotten_at IS NULL",
                              (contact_id,)).fetchone()[0]
            if not left:
                _anonymise_contact(db, contact_id)
    _flush(db)
    log.info("retention: forgot %d closed conversation(s) older than %d days", counts["conversations"], days)
    return counts
