"""The customer questions the FAQ did not answer, from the gateway database (for faq/gaps.py).

A question counts when the FAQ action decided `none` or `clarify` for it (`faq` events carry the
customer message id), when it was the last customer message before a handoff (`handoff` events),
or when the customer gave the bot's reply a thumbs-down (`feedback` events with
`{"rating": "down", "message_id": <bot message>}`: the question is the customer message before
it). Button payloads and ratings are not questions. One message counts once, with every reason.
"""
from __future__ import annotations

import json

from connectors import csat, report

MIN_LENGTH = 4


def collect(db, since: str | None = None, shop: str | None = None) -> list[dict]:
    """[{"text", "lang", "source", "message_id", "conversation_id", "created_at"}] oldest first."""
    where, params = report.conversation_filter(db, None, None, shop)
    start, _ = report.period(since, None)
    if start:
        where += " AND e.created_at >= ?"
        params = [*params, start]
    rows = db.execute(
        f"SELECT e.conversation_id, e.type, e.data, e.created_at, c.language FROM events e"
        f" JOIN conversations c ON c.id = e.conversation_id"
        f" WHERE {where} AND e.type IN ('faq','handoff','feedback') ORDER BY e.id", params).fetchall()
    found: dict[int, dict] = {}
    for conversation_id, type_, data, created_at, conv_lang in rows:
        data = json.loads(data) if data else {}
        if type_ == "faq":
            if data.get("decision") not in ("none", "clarify"):
                continue
            message_id, source, lang = data.get("message_id"), data["decision"], data.get("lang")
        elif type_ == "handoff":
            message_id = _customer_message_before(db, conversation_id, created_at=created_at)
            source, lang = "escalation", None
        else:
            if data.get("rating") != "down":
                continue
            message_id = _customer_message_before(db, conversation_id, before_id=data.get("message_id"))
            source, lang = "thumbs_down", None
        if not message_id:
            continue
        if message_id in found:
            found[message_id]["sources"].add(source)
            continue
        row = db.execute("SELECT text, created_at FROM messages WHERE id=? AND author='customer'",
                         (message_id,)).fetchone()
        if not row or not _is_question(row[0]):
            continue
        found[message_id] = {"text": " ".join(row[0].split()), "lang": lang or conv_lang or "nl",
                             "sources": {source}, "message_id": message_id,
                             "conversation_id": conversation_id, "created_at": row[1]}
    out = []
    for q in found.values():
        sources = sorted(q.pop("sources"))
        q["source"] = "+".join(sources)
        out.append(q)
    return sorted(out, key=lambda q: q["message_id"])


def _customer_message_before(db, conversation_id: str, created_at: str | None = None,
                             before_id: int | None = None) -> int | None:
    if before_id is not None:
        row = db.execute("SELECT MAX(id) FROM messages WHERE conversation_id=? AND author='customer' AND id < ?",
                         (conversation_id, before_id)).fetchone()
    else:
        row = db.execute("SELECT MAX(id) FROM messages WHERE conversation_id=? AND author='customer'"
                         " AND created_at <= ?", (conversation_id, created_at)).fetchone()
    return row[0] if row else None


def _is_question(text: str | None) -> bool:
    if not text or text.startswith("/") or len(text.strip()) < MIN_LENGTH:
        return False
    return csat.parse_score(text) is None


def gaps(db, since: str | None = None, shop: str | None = None, embedder=None) -> dict:
    """The gap report: {"since", "shop", "questions", "languages": {lang: [cluster, ...]}}."""
    from faq.gaps import find_gaps

    questions = collect(db, since, shop)
    return {"since": since, "shop": shop, "questions": len(questions),
            "languages": find_gaps(questions, embedder=embedder) if questions else {}}
