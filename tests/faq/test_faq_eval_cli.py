"""`helpdesk faq eval`: accepts jsonl/json/csv files and folders, prints our figures next to the
BM25 and char-TF-IDF baselines, and names file:line for a bad row."""
from __future__ import annotations

import json

from conftest import run_cli
from faq.evaluate import EvalError, load_questions, metrics

import pytest


def test_metrics_arithmetic():
    m = metrics([1, 2, None, 4])
    assert m == {"n": 4, "top1": 0.25, "mrr": pytest.approx((1 + 0.5 + 0.25) / 4), "recall@3": 0.5}


def test_eval_cli_folder_with_jsonl_and_csv(base, tmp_path):
    folder = tmp_path / "eval"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        json.dumps({"query": "ik vind mijn factuur niet", "lang": "nl", "id": "shop.invoice", "cross": False}) + "\n"
        + json.dumps({"question": "dans combien de jours je reçois le colis", "lang": "fr",
                      "expected": "shop.delivery-time", "cross": True}) + "\n", encoding="utf-8")
    (folder / "b.csv").write_text("query,id,lang,cross\nhoe kan ik iets terugsturen,shop.return,nl,false\n"
                                  "wat voor weer wordt het morgen,,nl,false\n", encoding="utf-8")
    done = run_cli(["faq", "eval", "--json", str(folder)], faq_dir=base)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["questions"] == 3
    assert set(report["methods"]) == {"hybrid", "bm25", "char-tfidf"}
    hybrid = report["methods"]["hybrid"]
    assert hybrid["all"]["n"] == 3 and hybrid["nl"]["n"] == 2 and hybrid["cross"]["n"] == 1
    assert hybrid["all"]["top1"] == 1.0
    # a row without an expected id is an off-topic question: scored on the decision, not on ranking
    assert report["off_topic"]["questions"] == 1
    assert report["off_topic"]["decisions"]["none"] == 1


def test_eval_cli_text_report(base, tmp_path):
    f = tmp_path / "q.json"
    f.write_text(json.dumps([{"query": "factuur kwijt", "id": "shop.invoice", "lang": "nl"},
                             {"query": "cadeaubon", "id": "shop.gift-card", "lang": "nl"}]), encoding="utf-8")
    done = run_cli(["faq", "eval", str(f)], faq_dir=base)
    assert done.returncode == 0, done.stderr
    for word in ("hybrid", "bm25", "char-tfidf", "top-1", "MRR", "R@3", "shop.gift-card"):
        assert word in done.stdout
    assert "not in the FAQ" in done.stdout  # the unknown id is reported, not silently skipped


def test_bad_eval_rows_name_file_and_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"query": "ok", "id": "shop.invoice"}\n{"query": "no id"}\n', encoding="utf-8")
    with pytest.raises(EvalError, match=r"bad.jsonl:2: missing 'id'"):
        load_questions([f])
    g = tmp_path / "broken.jsonl"
    g.write_text('{"query": "x", "id": "a.b"}\n{not json\n', encoding="utf-8")
    with pytest.raises(EvalError, match=r"broken.jsonl:2: invalid JSON"):
        load_questions([g])
    done = run_cli(["faq", "eval", str(f)])
    assert done.returncode != 0 and "bad.jsonl:2" in done.stderr
