"""`helpdesk faq gaps`: unanswered questions from a real gateway DB, clustered with the FAQ embedder."""
from __future__ import annotations

import yaml

from connectors import faq_gaps, handoff, metrics, store

from .conftest import running_gateway
from .test_report import run_cli

NL_PAY = ["Kan ik met bitcoin betalen?", "betalen met bitcoin mogelijk?", "accepteren jullie bitcoin als betaling"]
NL_LUX = ["Leveren jullie ook in Luxemburg?", "levering naar Luxemburg mogelijk?"]
FR_CH = ["Livrez-vous en Suisse ?", "livraison possible en Suisse ?"]


def ask(app, identity: str, text: str, lang: str, decision: str | None) -> str:
    db = app["db"]
    contact = store.get_or_create_contact(db, "web", identity)
    conv = store.create_conversation(db, contact["id"], "web", language=lang)
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text=text, status="delivered")
    if decision:
        metrics.faq_marker(app, conv["id"], {"decision": decision, "lang": lang, "id": None, "score": None}, msg["id"])
    return conv["id"]


async def fill(gw) -> None:
    app = gw.app
    for i, text in enumerate(NL_PAY):
        ask(app, f"p{i}", text, "nl", "none")
    ask(app, "l0", NL_LUX[0], "nl", "clarify")
    lux = ask(app, "l1", NL_LUX[1], "nl", "none")
    handoff.escalate(app, lux, "misses")  # the same question counts once, with both reasons
    for i, text in enumerate(FR_CH):
        handoff.escalate(app, ask(app, f"c{i}", text, "fr", None), "asked")
    ask(app, "ok", "Waar vind ik mijn factuur?", "nl", "answer")  # answered: not a gap
    ask(app, "btn", '/faq_select{"faq_id": "x.y"}', "nl", "none")  # a button: not a question


async def test_questions_are_clustered_per_language_largest_first(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        await fill(gw)
        questions = faq_gaps.collect(gw.db)
        assert len(questions) == 7
        assert {q["source"] for q in questions if q["text"] == NL_LUX[1]} == {"escalation+none"}
        data = faq_gaps.gaps(gw.db)
    nl, fr = data["languages"]["nl"], data["languages"]["fr"]
    assert [c["count"] for c in nl] == [3, 2]
    assert set(nl[0]["examples"]) == set(NL_PAY) and set(nl[1]["examples"]) == set(NL_LUX)
    assert [c["count"] for c in fr] == [2] and fr[0]["sources"] == {"escalation": 2}
    for cluster in nl + fr:
        assert cluster["nearest"]["id"] and cluster["file"].startswith("faq/")
        (entry,) = yaml.safe_load(cluster["draft_yaml"])
        assert entry["question"] in cluster["examples"] and len(entry["alternatives"]) == cluster["count"] - 1
        assert entry["id"].split(".")[0] == cluster["nearest"]["id"].split(".")[0]
        assert not (entry["answer"] or "").strip()  # left for a person


async def test_cli_text_and_errors(tmp_path):
    db_path = tmp_path / "h.db"
    async with running_gateway(db_path) as gw:
        await fill(gw)
    out = run_cli(db_path, "faq", "gaps", "--since", "2999-01-01")
    assert out.returncode == 0 and "No unanswered questions" in out.stdout
    out = run_cli(db_path, "faq", "gaps")
    assert out.returncode == 0 and "[nl] 3 question(s)" in out.stdout and "draft for faq/nl/" in out.stdout
    assert "No unanswered questions" in run_cli(db_path, "faq", "gaps", "--shop", "nosuchshop").stdout
