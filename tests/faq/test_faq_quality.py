"""Quality floor on the real FAQ base and the evaluation set in tests/data/faq_eval/.

Top-1 must stay >= 0.85 (issue 2). Off-topic questions must get decision "none", and questions from
the evaluation set should mostly be answered or clarified, not dropped.
"""
from __future__ import annotations

import pytest

from conftest import EVAL_DIR
from faq.evaluate import load_questions, run_eval

TOP1_FLOOR = 0.85

OFF_TOPIC = [
    "wat voor weer wordt het morgen?", "quel temps fait-il demain ?", "je veux une pizza",
    "ik wil een pizza bestellen", "wie heeft de match gewonnen gisteren", "raconte-moi une blague",
    "hoeveel is 2 + 2", "c'est quoi la capitale de l'Australie ?", "mijn hond is ziek, wat moet ik doen",
    "recette de la tarte au citron", "wat is de beste film van dit jaar", "je cherche un appartement à Namur",
    "bonjour", "dank je wel, tot ziens",
]
# A question carrying an order number that lands on a tracking entry is an order lookup, not an FAQ.
LOOKUPS = ["mijn bestelling 12345678 waar is die", "où est ma commande 45678912 ?"]


@pytest.fixture(scope="module")
def report(real_searcher):
    return run_eval(real_searcher, load_questions([EVAL_DIR]))


def test_eval_set_is_big_enough():
    questions = load_questions([EVAL_DIR])
    assert len(questions) >= 150
    langs = [q.lang for q in questions]
    assert abs(langs.count("nl") - langs.count("fr")) <= len(questions) * 0.2


def test_eval_ids_exist(report):
    assert report["unknown_ids"] == []


def test_top1_floor(report):
    top1 = report["methods"]["hybrid"]["all"]["top1"]
    assert top1 >= TOP1_FLOOR, f"top-1 {top1:.3f} < {TOP1_FLOOR}"


def test_hybrid_beats_baselines(report):
    m = report["methods"]
    assert m["hybrid"]["all"]["mrr"] > m["bm25"]["all"]["mrr"]
    assert m["hybrid"]["all"]["mrr"] > m["char-tfidf"]["all"]["mrr"]


def test_off_topic_gets_none(real_searcher):
    decisions = {q: real_searcher.search(q)["decision"] for q in OFF_TOPIC}
    wrong = {q: d for q, d in decisions.items() if d != "none"}
    assert len(wrong) <= 1, wrong


@pytest.mark.parametrize("query", LOOKUPS)
def test_order_number_questions_are_not_faq(real_searcher, query):
    assert real_searcher.search(query)["decision"] == "none"


def test_real_questions_are_rarely_dropped(report):
    d = report["decisions"]
    assert d["none"] <= 0.1 * sum(d.values()), d


# Issue 10: each question asked to its own shop (`faq eval --each-shop`). Floors a little under the
# figures measured when the thresholds were chosen (docs/faq.md): eval right 0.709 / wrong 0.017 /
# R@3 0.991; held-out right 0.934 / wrong 0.008 / R@3 0.992; whole base, questions naming a shop: 0.843.
HOLDOUT = EVAL_DIR.parent / "faq_holdout.jsonl"
SCOPED_FLOORS = {  # set: (min answered right at once, max answered wrong at once, min recall@3)
    "eval": (0.68, 0.02, 0.985),
    "holdout": (0.92, 0.02, 0.985),
}


@pytest.fixture(scope="module")
def scoped_reports(real_searcher):
    return {"eval": run_eval(real_searcher, load_questions([EVAL_DIR]), each_shop=True),
            "holdout": run_eval(real_searcher, load_questions([HOLDOUT]), each_shop=True)}


@pytest.mark.parametrize("name", sorted(SCOPED_FLOORS))
def test_scoped_rates_floor(scoped_reports, name):
    right, wrong, recall = SCOPED_FLOORS[name]
    rates = scoped_reports[name]["rates"]
    assert rates["answered_right_at_once"] >= right, rates
    assert rates["answered_wrong_at_once"] <= wrong, rates
    assert rates["recall@3"] >= recall, rates


def test_email_policy_never_clarifies(scoped_reports):
    counts = scoped_reports["eval"]["policies"]["email"]["counts"]
    assert not {"clarify_right_offered", "clarify_wrong_offered"} & set(counts), counts
    web = scoped_reports["eval"]["policies"]["web"]["rates"]
    email = scoped_reports["eval"]["policies"]["email"]["rates"]
    assert email["answered_right"] > web["answered_right"]


def test_naming_the_shop_floor(report):
    assert report["names_shop"]["n"] >= 50
    assert report["names_shop"]["top1"] >= 0.82, report["names_shop"]
