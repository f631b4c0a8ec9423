"""`helpdesk report`: figures from a real gateway database built through the real store/handoff."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from connectors import handoff, metrics, outbox, report, store
from helpdesk.paths import ROOT

from .conftest import running_gateway

T0 = "2026-11-20T10:00:00.000+00:00"


def at(seconds: int, day: str = "2026-11-20") -> str:
    h, rest = divmod(36000 + seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{day}T{h:02d}:{m:02d}:{s:02d}.000+00:00"


def customer(app, channel, identity, text, language):
    db = app["db"]
    contact = store.get_or_create_contact(db, channel, identity)
    conv = store.create_conversation(db, contact["id"], channel, language=language)
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text=text, status="delivered")
    store.update_conversation(db, conv["id"], last_customer_message_at=msg["created_at"])
    return conv, msg


def shift(db, conv_id: str, created: str, events: dict[str, str] | None = None,
          agent_message: str | None = None) -> None:
    """Move a conversation (and some of its events) to fixed times, as if it happened then."""
    db.execute("UPDATE conversations SET created_at=? WHERE id=?", (created, conv_id))
    for type_, ts in (events or {}).items():
        db.execute("UPDATE events SET created_at=? WHERE conversation_id=? AND type=?", (ts, conv_id, type_))
    if agent_message:
        db.execute("UPDATE messages SET created_at=? WHERE conversation_id=? AND author='agent'",
                   (agent_message, conv_id))


async def build_history(app) -> dict:
    db = app["db"]
    agent = {"id": 1, "role": "agent", "name": None}
    a, am = customer(app, "web", "w1", "waar is mijn factuur", "nl")
    metrics.faq_marker(app, a["id"], {"decision": "answer", "lang": "nl", "id": "x.y", "score": 0.7}, am["id"])
    shift(db, a["id"], at(0))
    b, bm = customer(app, "whatsapp", "whatsapp:+32470000001", "je veux un humain", "fr")
    metrics.faq_marker(app, b["id"], {"decision": "none", "lang": "fr", "id": None, "score": None}, bm["id"])
    handoff.escalate(app, b["id"], "asked")
    handoff.take(app, b["id"], agent)
    outbox.enqueue(app, b["id"], "Bonjour, je regarde.", author="agent", agent_id=1)
    handoff.close(app, b["id"], "agent:1")
    shift(db, b["id"], at(0), {"handoff": at(0), "closed": at(600)}, agent_message=at(60))
    c, cm = customer(app, "email", "jan@example.be", "factuur klopt niet", "nl")
    metrics.faq_marker(app, c["id"], {"decision": "clarify", "lang": "nl", "id": "x.z", "score": 0.4}, cm["id"])
    handoff.escalate(app, c["id"], "misses")
    handoff.take(app, c["id"], agent)
    outbox.enqueue(app, c["id"], "Ik kijk het na.", author="agent", agent_id=1)
    handoff.close(app, c["id"], "agent:1")
    shift(db, c["id"], at(0, "2026-11-21"), {"handoff": at(0, "2026-11-21"), "closed": at(3600, "2026-11-21")},
          agent_message=at(300, "2026-11-21"))
    store.csat_asked(db, b["id"])
    store.csat_asked(db, c["id"])
    store.csat_answered(db, c["id"], 4)
    old, _ = customer(app, "web", "w2", "oud gesprek", "nl")
    shift(db, old["id"], at(0, "2026-10-01"))
    return {"a": a["id"], "b": b["id"], "c": c["id"], "old": old["id"]}


async def test_report_figures(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        await build_history(gw.app)
        r = report.build(gw.db, since="2026-11-20", until="2026-11-21")
    assert r["conversations"]["total"] == 3
    assert r["conversations"]["by_channel"] == {"web": 1, "whatsapp": 1, "email": 1}
    assert r["conversations"]["by_language"] == {"nl": 2, "fr": 1}
    assert r["deflection"] == {"deflected": 1, "rate": round(1 / 3, 4)}
    assert r["handoffs"] == {"total": 2, "by_reason": {"asked": 1, "misses": 1}}
    assert r["first_response_seconds"] == {"count": 2, "median": 180.0, "p90": 276.0}
    assert r["resolution_seconds"] == {"count": 2, "median": 2100.0, "p90": 3300.0}
    assert r["csat"]["asked"] == 2 and r["csat"]["answered"] == 1
    assert r["csat"]["average"] == 4 and r["csat"]["response_rate"] == 0.5
    assert (r["faq"]["answer"], r["faq"]["clarify"], r["faq"]["none"]) == (1, 1, 1)
    assert [d["date"] for d in r["per_day"]] == ["2026-11-20", "2026-11-21"]
    assert r["per_day"][0]["by_channel"] == {"web": 1, "whatsapp": 1}


async def test_bad_dates_and_shop_filter(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        with pytest.raises(report.ReportError, match="--since must be a date"):
            report.build(gw.db, since="20/11/2026")
        with pytest.raises(report.ReportError, match="before --since"):
            report.build(gw.db, since="2026-11-21", until="2026-11-20")
        ids = await build_history(gw.app)
        gw.db.execute("UPDATE conversations SET shop='oscaro' WHERE id=?", (ids["b"],))
        r = report.build(gw.db, shop="oscaro")
        assert r["conversations"]["total"] == 1 and r["handoffs"]["by_reason"] == {"asked": 1}


def test_shop_on_a_database_without_the_column_is_a_clear_error():
    import sqlite_utils

    db = sqlite_utils.Database(memory=True)
    db.execute("CREATE TABLE conversations (id TEXT, created_at TEXT)")
    with pytest.raises(report.ReportError, match="conversations.shop"):
        report.conversation_filter(db, None, None, "oscaro")


def run_cli(db_path, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HELPDESK_DB=str(db_path), PYTHONPATH=str(ROOT), HELPDESK_DOTENV="0", **(env or {}))
    return subprocess.run([sys.executable, "-c", "from helpdesk.cli import main; main()", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


async def test_cli_json_text_and_errors(tmp_path):
    db_path = tmp_path / "h.db"
    async with running_gateway(db_path) as gw:
        await build_history(gw.app)
    out = run_cli(db_path, "report", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["conversations"]["total"] == 4 and data["handoffs"]["total"] == 2
    out = run_cli(db_path, "report", "--since", "2026-11-21")
    assert out.returncode == 0, out.stderr
    assert "Conversations: 1" in out.stdout and "CSAT: average 4" in out.stdout
    out = run_cli(db_path, "report", "--shop", "nosuchshop", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["conversations"]["total"] == 0
