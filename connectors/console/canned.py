"""Canned responses: ready answers per shop and language that agents insert with "/" in the composer.

Why a table and not a file: admins edit them in the console while agents use them, without a
deploy. `shop_id` defaults to 'default' until conversations carry a shop (per-shop settings work).
All SQL for the table lives here; validation errors are CannedError with a message for the admin.
"""
from __future__ import annotations

import re

from sqlite_utils import Database

from connectors import store
from helpdesk import sql

DEFAULT_SHOP = "default"
LANGUAGES = ("nl", "fr")
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_TITLE, MAX_TEXT = 80, 4000


class CannedError(ValueError):
    """Bad input (the message says what) or a shortcut that already exists."""


def shop_of(conv: dict) -> str:
    return conv.get("shop_id") or DEFAULT_SHOP


def _clean(body: dict, partial: bool = False) -> dict:
    out: dict = {}
    if "shop_id" in body or not partial:
        shop = body.get("shop_id") or DEFAULT_SHOP
        if not isinstance(shop, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", shop):
            raise CannedError("shop_id: letters, digits, '.', '_' or '-' only")
        out["shop_id"] = shop
    if "language" in body or not partial:
        if body.get("language") not in LANGUAGES:
            raise CannedError("language must be nl or fr")
        out["language"] = body["language"]
    if "shortcut" in body or not partial:
        shortcut = str(body.get("shortcut") or "").strip().lstrip("/").lower()
        if not SHORTCUT.match(shortcut):
            raise CannedError("shortcut: 1-32 lower-case letters, digits, '-' or '_' (typed after '/')")
        out["shortcut"] = shortcut
    if "title" in body or not partial:
        title = str(body.get("title") or "").strip()
        if not title or len(title) > MAX_TITLE:
            raise CannedError(f"title: 1-{MAX_TITLE} characters")
        out["title"] = title
    if "text" in body or not partial:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise CannedError(f"text: 1-{MAX_TEXT} characters")
        out["text"] = text.strip()
    return out


def get(db: Database, canned_id: int) -> dict | None:
    return sql.row(db, "SELECT * FROM canned_responses WHERE id = ?", [canned_id])


def list_for(db: Database, shop_id: str | None = None, language: str | None = None) -> list[dict]:
    """A shop's responses (a language's only, when given), by shortcut."""
    query, params = "SELECT * FROM canned_responses WHERE 1=1", []
    if shop_id:
        query, params = query + " AND shop_id = ?", params + [shop_id]
    if language:
        query, params = query + " AND language = ?", params + [language]
    return sql.rows(db, query + " ORDER BY shop_id, language, shortcut", params)


def create(db: Database, body: dict, agent_id: int | None) -> dict:
    data = _clean(body)
    ts = store.now()
    try:
        cursor = db.execute(
            "INSERT INTO canned_responses (shop_id, language, shortcut, title, text, created_by, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [data["shop_id"], data["language"], data["shortcut"], data["title"], data["text"], agent_id, ts, ts])
    except sql.integrity_errors():
        raise CannedError(f"/{data['shortcut']} already exists for {data['shop_id']} in {data['language']}") from None
    return get(db, cursor.lastrowid)


def update(db: Database, canned_id: int, body: dict) -> dict | None:
    if get(db, canned_id) is None:
        return None
    data = _clean(body, partial=True)
    if not data:
        raise CannedError("nothing to change")
    sets = ", ".join(f"{k} = ?" for k in data)
    try:
        db.execute(f"UPDATE canned_responses SET {sets}, updated_at = ? WHERE id = ?",
                   [*data.values(), store.now(), canned_id])
    except sql.integrity_errors():
        raise CannedError("that shortcut already exists for this shop and language") from None
    return get(db, canned_id)


def delete(db: Database, canned_id: int) -> bool:
    return db.execute("DELETE FROM canned_responses WHERE id = ?", [canned_id]).rowcount > 0
