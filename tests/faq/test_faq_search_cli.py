"""The `helpdesk faq search` contract, through the real CLI in a subprocess, on a small temp base."""
from __future__ import annotations

from conftest import json_lines, run_cli

KEYS = {"query", "lang", "decision", "results"}
RESULT_KEYS = {"id", "lang", "question", "answer", "score", "shop"}  # shop: issue 10


def check_shape(obj: dict) -> None:
    assert set(obj) == KEYS
    assert obj["lang"] in ("nl", "fr")
    assert obj["decision"] in ("answer", "clarify", "none")
    assert isinstance(obj["results"], list)
    scores = []
    for r in obj["results"]:
        assert set(r) == RESULT_KEYS
        assert r["lang"] == obj["lang"]
        assert all(isinstance(r[k], str) and r[k] for k in ("id", "question", "answer"))
        assert isinstance(r["score"], float)
        scores.append(r["score"])
    assert scores == sorted(scores, reverse=True)


def test_search_json_one_question(base):
    done = run_cli(["faq", "search", "--json", "waar kan ik mijn factuur downloaden?"], faq_dir=base)
    assert done.returncode == 0, done.stderr
    [obj] = json_lines(done.stdout)
    check_shape(obj)
    assert obj["query"] == "waar kan ik mijn factuur downloaden?"
    assert obj["lang"] == "nl" and obj["decision"] == "answer"
    assert obj["results"][0]["id"] == "shop.invoice"
    assert obj["results"][0]["question"] == "Waar vind ik mijn factuur?"


def test_stdin_mode_one_json_line_per_question(base):
    questions = ["combien de jours pour recevoir mon colis ?", "", "ik wil dit product terugsturen",
                 "wat voor weer wordt het morgen in Gent"]
    done = run_cli(["faq", "search", "--json", "--k", "2"], faq_dir=base, stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    out = json_lines(done.stdout)
    assert [o["query"] for o in out] == [q for q in questions if q]  # blank lines are skipped
    for o in out:
        check_shape(o)
        assert len(o["results"]) <= 2
    assert (out[0]["lang"], out[0]["results"][0]["id"]) == ("fr", "shop.delivery-time")
    assert (out[1]["lang"], out[1]["results"][0]["id"]) == ("nl", "shop.return")
    assert out[2]["decision"] == "none" and out[2]["results"] == []


def test_lang_option_forces_result_language(base):
    done = run_cli(["faq", "search", "--json", "--lang", "fr", "waar is mijn factuur"], faq_dir=base)
    assert done.returncode == 0, done.stderr
    [obj] = json_lines(done.stdout)
    check_shape(obj)
    assert obj["lang"] == "fr"
    assert obj["results"][0]["question"] == "Où trouver ma facture ?"


def test_human_output_and_bad_option(base):
    done = run_cli(["faq", "search", "retour aanvragen"], faq_dir=base)
    assert done.returncode == 0, done.stderr
    assert "shop.return" in done.stdout
    bad = run_cli(["faq", "search", "--lang", "de", "hallo"], faq_dir=base)
    assert bad.returncode != 0 and "de" in bad.stderr


def test_build_then_reuse(base):
    first = run_cli(["faq", "build"], faq_dir=base)
    assert first.returncode == 0, first.stderr
    assert "built in" in first.stdout
    assert (base / ".index").is_dir()
    second = run_cli(["faq", "build"], faq_dir=base)
    assert second.returncode == 0 and "reused" in second.stdout
