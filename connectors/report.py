"""The support lead's report, read from the gateway database (conversations, messages, events).

Read-only: `build(db, since, until, shop)` returns one dict that `helpdesk report --json` prints
as it is and the console's Reports view draws. Definitions:

- a conversation counts in the period it was created in (`--since`/`--until` are UTC dates,
  both days included);
- deflected = a conversation with a customer message that no person ever handled (no `handoff`
  and no `taken` event): the bot finished it alone;
- first response = from the handoff (or an agent taking it from the bot) to the first agent
  message the customer saw; resolution = from the handoff to the conversation's close;
- CSAT = the 1-5 score a customer gave when asked after the conversation closed;
- FAQ rates = the FAQ action's decisions (`faq` events written from the bot's `custom.faq`).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from typing import Any

PERSON_EVENTS = ("handoff", "taken")


class ReportError(ValueError):
    """Bad report arguments (dates, a --shop the database can't filter on): a clear message."""


def parse_day(value: str | None, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{name} must be a date like 2026-12-01, got {value!r}") from None


def period(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """ISO bounds [start, end) for created_at comparisons (timestamps are sortable text)."""
    start, end = parse_day(since, "--since"), parse_day(until, "--until")
    if start and end and end < start:
        raise ReportError("--until is before --since")
    return (start.isoformat() if start else None,
            (end + dt.timedelta(days=1)).isoformat() if end else None)


def has_shop_column(db) -> bool:
    return any(row[1] == "shop" for row in db.execute("PRAGMA table_info(conversations)"))


def _default_shop_id() -> str | None:
    try:
        from helpdesk import shops

        return shops.default().id
    except Exception:  # no or broken shops file: only exact matches
        return None


def conversation_filter(db, since: str | None, until: str | None, shop: str | None,
                        alias: str = "c") -> tuple[str, list[Any]]:
    """WHERE clause (and parameters) choosing the report's conversations."""
    start, end = period(since, until)
    clauses, params = ["1=1"], []
    if start:
        clauses.append(f"{alias}.created_at >= ?")
        params.append(start)
    if end:
        clauses.append(f"{alias}.created_at < ?")
        params.append(end)
    if shop:
        if not has_shop_column(db):
            raise ReportError("--shop needs the conversations.shop column (added by the shops work); "
                              "this database has none: run without --shop")
        if shop == _default_shop_id():  # conversations from before shops count as the default shop's
            clauses.append(f"({alias}.shop = ? OR {alias}.shop IS NULL)")
        else:
            clauses.append(f"{alias}.shop = ?")
        params.append(shop)
    return " AND ".join(clauses), params


def _rows(db, sql: str, params: list | tuple = ()) -> list[dict]:
    cursor = db.execute(sql, params)
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1) of `values`; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _durations(values: list[float]) -> dict:
    return {"count": len(values),
            "median": round(statistics.median(values), 1) if values else None,
            "p90": round(percentile(values, 0.9), 1) if values else None}


def _seconds(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def build(db, since: str | None = None, until: str | None = None, shop: str | None = None) -> dict:
    """The whole report as a dict (see the module docstring for what each figure means)."""
    where, params = conversation_filter(db, since, until, shop)
    convs = _rows(db, f"SELECT c.id, c.channel, c.language, c.state, c.created_at, c.csat_asked_at,"
                      f" c.csat_score FROM conversations c WHERE {where} ORDER BY c.created_at", params)
    ids = {c["id"] for c in convs}
    events: dict[str, list[dict]] = {}
    for e in _rows(db, f"SELECT e.conversation_id, e.type, e.data, e.created_at FROM events e"
                       f" JOIN conversations c ON c.id = e.conversation_id WHERE {where}"
                       f" AND e.type IN ('handoff','taken','closed','faq') ORDER BY e.id", params):
        e["data"] = json.loads(e["data"]) if e["data"] else {}
        events.setdefault(e["conversation_id"], []).append(e)
    first_agent: dict[str, list[str]] = {}
    for m in _rows(db, f"SELECT m.conversation_id, m.created_at FROM messages m JOIN conversations c"
                       f" ON c.id = m.conversation_id WHERE {where} AND m.author='agent' AND m.internal=0"
                       f" ORDER BY m.id", params):
        first_agent.setdefault(m["conversation_id"], []).append(m["created_at"])
    with_customer = {r[0] for r in db.execute(
        f"SELECT DISTINCT m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE {where} AND m.author='customer'", params)}

    by_channel: dict[str, int] = {}
    by_language: dict[str, int] = {}
    per_day: dict[str, dict] = {}
    handoff_reasons: dict[str, int] = {}
    deflected = 0
    first_response: list[float] = []
    resolution: list[float] = []
    faq = {"answer": 0, "clarify": 0, "none": 0}
    faq_by_lang: dict[str, dict[str, int]] = {}
    for c in convs:
        lang = c["language"] or "unknown"
        by_channel[c["channel"]] = by_channel.get(c["channel"], 0) + 1
        by_language[lang] = by_language.get(lang, 0) + 1
        day = per_day.setdefault(c["created_at"][:10], {"date": c["created_at"][:10], "conversations": 0,
                                                         "by_channel": {}, "handoffs": 0, "deflected": 0})
        day["conversations"] += 1
        day["by_channel"][c["channel"]] = day["by_channel"].get(c["channel"], 0) + 1
        evs = events.get(c["id"], [])
        person = [e for e in evs if e["type"] in PERSON_EVENTS]
        if person:
            first = person[0]
            reason = first["data"].get("reason") if first["type"] == "handoff" else "agent"
            handoff_reasons[reason or "asked"] = handoff_reasons.get(reason or "asked", 0) + 1
            day["handoffs"] += 1
            replies = [t for t in first_agent.get(c["id"], []) if t >= first["created_at"]]
            if replies:
                first_response.append(_seconds(first["created_at"], replies[0]))
            closes = [e for e in evs if e["type"] == "closed" and e["created_at"] >= first["created_at"]]
            if closes:
                resolution.append(_seconds(first["created_at"], closes[0]["created_at"]))
        elif c["id"] in with_customer:
            deflected += 1
            day["deflected"] += 1
        for e in evs:
            if e["type"] == "faq" and e["data"].get("decision") in faq:
                decision = e["data"]["decision"]
                faq[decision] += 1
                per_lang = faq_by_lang.setdefault(e["data"].get("lang") or "unknown",
                                                  {"answer": 0, "clarify": 0, "none": 0})
                per_lang[decision] += 1
    engaged = len(ids & with_customer)
    asked = [c for c in convs if c["csat_asked_at"]]
    scored = [c["csat_score"] for c in convs if c["csat_score"] is not None]
    faq_total = sum(faq.values())
    return {
        "period": {"since": since, "until": until, "shop": shop},
        "conversations": {"total": len(convs), "with_customer_message": engaged,
                          "by_channel": by_channel, "by_language": by_language},
        "deflection": {"deflected": deflected, "rate": _rate(deflected, engaged)},
        "handoffs": {"total": sum(handoff_reasons.values()), "by_reason": handoff_reasons},
        "first_response_seconds": _durations(first_response),
        "resolution_seconds": _durations(resolution),
        "csat": {"asked": len(asked), "answered": len(scored), "response_rate": _rate(len(scored), len(asked)),
                 "average": round(statistics.mean(scored), 2) if scored else None,
                 "scores": {str(s): scored.count(s) for s in range(1, 6)}},
        "faq": {"total": faq_total, **faq,
                "rates": {k: _rate(v, faq_total) for k, v in faq.items()}, "by_language": faq_by_lang},
        "per_day": [per_day[d] for d in sorted(per_day)],
    }


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 90:
        return f"{value:.0f} s"
    if value < 5400:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def as_text(r: dict) -> str:
    """The report for a terminal: one figure per line, grouped."""
    p = r["period"]
    lines = [f"Helpdesk report {p['since'] or 'start'} .. {p['until'] or 'today'}"
             + (f" (shop {p['shop']})" if p["shop"] else "")]
    c = r["conversations"]
    lines.append(f"Conversations: {c['total']} ({c['with_customer_message']} with a customer message)")
    lines.append("  per channel: " + (", ".join(f"{k} {v}" for k, v in sorted(c["by_channel"].items())) or "–"))
    lines.append("  per language: " + (", ".join(f"{k} {v}" for k, v in sorted(c["by_language"].items())) or "–"))
    lines.append(f"Deflection: {r['deflection']['deflected']} finished by the bot alone ({_pct(r['deflection']['rate'])})")
    h = r["handoffs"]
    lines.append(f"Handoffs: {h['total']}" + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(h["by_reason"].items())) + ")"
                                               if h["by_reason"] else ""))
    for key, label in (("first_response_seconds", "Agent first response"), ("resolution_seconds", "Resolution")):
        d = r[key]
        lines.append(f"{label}: median {_fmt_seconds(d['median'])}, p90 {_fmt_seconds(d['p90'])} ({d['count']} conversations)")
    s = r["csat"]
    lines.append(f"CSAT: average {s['average'] if s['average'] is not None else '–'} / 5,"
                 f" {s['answered']} of {s['asked']} asked answered ({_pct(s['response_rate'])})")
    f = r["faq"]
    lines.append(f"FAQ decisions: {f['total']} (answer {_pct(f['rates']['answer'])}, clarify {_pct(f['rates']['clarify'])},"
                 f" none {_pct(f['rates']['none'])})")
    return "\n".join(lines)
