"""FAQ scoped to a shop (issue 10): `faq search --shop`, `faq eval --shop/--each-shop`, the `shop`
field per result, and a clear error for a shop nobody configured. Real CLI, small temp base with
two shops that both answer "where is my invoice" differently."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import json_lines, run_cli

OTHER = {
    "nl": """- id: other.invoice
  question: Hoe krijg ik een factuur van Other?
  alternatives:
    - factuur downloaden bij other
    - waar vind ik mijn factuur
  answer: Other stuurt je factuur per post, binnen vijf werkdagen.
  tags: [invoice]
  source: other.txt
- id: other.opening-hours
  question: Wanneer is de klantendienst van Other open?
  alternatives:
    - openingsuren klantendienst
    - hoe laat kan ik bellen
  answer: De klantendienst van Other is open van maandag tot vrijdag, 8 tot 18 uur.
  tags: [contact]
  source: other.txt
""",
    "fr": """- id: other.invoice
  question: Comment obtenir une facture chez Other ?
  alternatives:
    - télécharger facture other
    - où est ma facture
  answer: Other envoie votre facture par la poste, sous cinq jours ouvrables.
  tags: [invoice]
  source: other.txt
- id: other.opening-hours
  question: Quand le service client d'Other est-il ouvert ?
  alternatives:
    - horaires du service client
    - à quelle heure appeler
  answer: Le service client d'Other est ouvert du lundi au vendredi, de 8 h à 18 h.
  tags: [contact]
  source: other.txt
""",
}
QUESTION = "waar kan ik mijn factuur downloaden?"


def two_shops(base: Path) -> Path:
    for lang, text in OTHER.items():
        (base / lang / "other.yml").write_text(text, encoding="utf-8")
    return base


def search(base: Path, *args: str) -> dict:
    done = run_cli(["faq", "search", "--json", *args, QUESTION], faq_dir=base)
    assert done.returncode == 0, done.stderr
    [obj] = json_lines(done.stdout)
    return obj


def test_search_shop_scopes_results_and_names_the_shop(base):
    base = two_shops(base)
    mine = search(base, "--shop", "shop")
    other = search(base, "--shop", "other")
    assert mine["results"] and other["results"]
    assert {r["id"].split(".")[0] for r in mine["results"]} == {"shop"}
    assert {r["id"].split(".")[0] for r in other["results"]} == {"other"}
    assert mine["results"][0]["id"] == "shop.invoice" and other["results"][0]["id"] == "other.invoice"
    assert {r["shop"] for r in mine["results"]} == {"shop"} and {r["shop"] for r in other["results"]} == {"other"}
    assert "per post" in other["results"][0]["answer"]


def test_search_without_shop_searches_the_whole_base(base):
    base = two_shops(base)
    done = run_cli(["faq", "search", "--json", "--k", "5", QUESTION], faq_dir=base)
    assert done.returncode == 0, done.stderr
    [obj] = json_lines(done.stdout)
    results = obj["results"]
    assert {r["id"] for r in results} >= {"shop.invoice", "other.invoice"}, obj
    for r in results:
        assert r["shop"] == r["id"].split(".")[0]


def test_unknown_shop_is_a_clear_error(base):
    done = run_cli(["faq", "search", "--json", "--shop", "nope", QUESTION], faq_dir=base)
    assert done.returncode == 2
    assert "unknown shop 'nope'" in done.stderr
    assert done.stdout == ""


def test_eval_shop_and_each_shop(base, tmp_path):
    base = two_shops(base)
    f = tmp_path / "q.jsonl"
    rows = [{"query": "ik vind mijn factuur niet", "lang": "nl", "id": "shop.invoice"},
            {"query": "hoe laat is jullie klantendienst open", "lang": "nl", "id": "other.opening-hours"},
            {"query": "ma facture, je la trouve où ?", "lang": "fr", "id": "other.invoice", "shop": "other"}]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run_cli(["faq", "eval", "--json", "--each-shop", str(f)], faq_dir=base)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["scope"] == "each question's shop"
    assert report["methods"]["hybrid"]["all"]["top1"] == 1.0
    rates = report["rates"]
    assert set(rates) == {"answered_right_at_once", "answered_wrong_at_once", "clarify", "none", "recall@3"}
    assert rates["recall@3"] == 1.0 and rates["answered_wrong_at_once"] == 0.0
    assert set(report["policies"]) == {"web", "whatsapp", "email"}
    email = report["policies"]["email"]["counts"]
    assert sum(email.values()) == 3 and "clarify_right_offered" not in email  # email never asks back
    # --shop other: the shop.invoice question cannot be found there (its entry is another shop's)
    done = run_cli(["faq", "eval", "--json", "--shop", "other", str(f)], faq_dir=base)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["scope"] == "shop other"
    assert report["methods"]["hybrid"]["all"]["recall@3"] < 1.0
    text = run_cli(["faq", "eval", "--each-shop", str(f)], faq_dir=base)
    assert text.returncode == 0, text.stderr
    assert "answered right at once" in text.stdout and "policy email" in text.stdout
