"""Retrieval evaluation: our hybrid search next to BM25 and char-TF-IDF baselines, same questions,
same run, so a figure is never compared with one measured on another day's FAQ files."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from faq.lexical import CharTfidf, fold
from faq.searcher import Searcher


class EvalError(Exception):
    """An evaluation file is unreadable or a row lacks a field; names file and line."""


@dataclass(frozen=True)
class Question:
    query: str
    id: str | None  # None: an off-topic question, expected decision "none"
    lang: str | None
    cross: bool
    file: str
    line: int
    shop: str | None = None  # the shop the customer writes to (row field `shop`), if the file says


def _row(raw: dict, file: str, line: int) -> Question:
    if not isinstance(raw, dict):
        raise EvalError(f"{file}:{line}: expected an object with query and id")
    query = raw.get("query", raw.get("question"))
    key = "id" if "id" in raw else "expected"
    expected = raw.get(key)
    if not isinstance(query, str) or not query.strip():
        raise EvalError(f"{file}:{line}: missing 'query' (or 'question')")
    if key not in raw:
        raise EvalError(f"{file}:{line}: missing 'id' (or 'expected'; null marks an off-topic question)")
    if expected is None or (isinstance(expected, str) and expected.strip().lower() in ("", "none", "null")):
        expected = None  # off-topic: the right outcome is decision "none"
    elif not isinstance(expected, str):
        raise EvalError(f"{file}:{line}: 'id' must be a string or null")
    lang = raw.get("lang") or None
    if lang not in (None, "nl", "fr"):
        raise EvalError(f"{file}:{line}: lang must be nl or fr, got {lang!r}")
    cross = raw.get("cross", False)
    if isinstance(cross, str):
        cross = cross.strip().lower() in ("1", "true", "yes")
    shop = raw.get("shop") or None
    if shop is not None and not isinstance(shop, str):
        raise EvalError(f"{file}:{line}: 'shop' must be a string")
    return Question(query.strip(), expected.strip() if expected else None, lang, bool(cross), file, line,
                    shop.strip() if shop else None)


def _read_file(path: Path) -> list[Question]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvalError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
    out: list[Question] = []
    if path.suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append(_row(json.loads(line), str(path), n))
                except json.JSONDecodeError as exc:
                    raise EvalError(f"{path}:{n}: invalid JSON: {exc.msg}") from exc
    elif path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
        if not isinstance(data, list):
            raise EvalError(f"{path}: expected a JSON list of questions")
        out = [_row(item, str(path), i) for i, item in enumerate(data, 1)]
    elif path.suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        out = [_row(item, str(path), i) for i, item in enumerate(reader, 2)]
    else:
        raise EvalError(f"{path}: unsupported file type (use .jsonl, .json or .csv)")
    return out


def load_questions(paths: Iterable[str | Path]) -> list[Question]:
    """Questions from files and folders (a folder contributes its .jsonl/.json/.csv files)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix in (".jsonl", ".json", ".csv"))
        else:
            files.append(p)
    questions = [q for f in files for q in _read_file(f)]
    if not questions:
        raise EvalError("no evaluation questions found in " + ", ".join(map(str, paths)))
    return questions


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def entry_documents(searcher: Searcher) -> list[str]:
    """One document per entry id for the baselines: all its texts in both languages."""
    docs = {eid: [] for eid in searcher.ids}
    for (eid, _lang), e in sorted(searcher.by_key.items()):
        docs[eid] += [e.question, *e.alternatives, e.answer]
    return [" \n".join(docs[eid]) for eid in searcher.ids]


def bm25_ranker(searcher: Searcher) -> Callable[[str], list[str]]:
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([_tokens(d) for d in entry_documents(searcher)])

    def rank(query: str) -> list[str]:
        scores = bm25.get_scores(_tokens(query))
        return [searcher.ids[i] for i in np.argsort(-scores, kind="stable")]

    return rank


def tfidf_ranker(searcher: Searcher) -> Callable[[str], list[str]]:
    tfidf = CharTfidf(entry_documents(searcher))

    def rank(query: str) -> list[str]:
        return [searcher.ids[i] for i in np.argsort(-tfidf.scores(query), kind="stable")]

    return rank


def metrics(ranks: list[int | None]) -> dict[str, float]:
    """ranks: 1-based position of the right entry, None when absent."""
    n = len(ranks)
    if not n:
        return {"n": 0, "top1": 0.0, "mrr": 0.0, "recall@3": 0.0}
    return {
        "n": n,
        "top1": sum(r == 1 for r in ranks) / n,
        "mrr": sum(1.0 / r for r in ranks if r) / n,
        "recall@3": sum(1 for r in ranks if r and r <= 3) / n,
    }


def _groups(questions: list[Question]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {"all": list(range(len(questions)))}
    for lang in ("nl", "fr"):
        groups[lang] = [i for i, q in enumerate(questions) if q.lang == lang]
    groups["cross"] = [i for i, q in enumerate(questions) if q.cross]
    groups["same"] = [i for i, q in enumerate(questions) if not q.cross]
    return groups


CLARIFY_OPTIONS = 3  # what search() offers on "clarify" with the default k=3
# How each channel shows a decision (the bot's answer policy, actions/faq_answer.py):
# web and WhatsApp offer the options (buttons / numbered lines); email never asks back: it answers
# the best entry in full and lists the next ones as "other answers that may help".
POLICIES = ("web", "whatsapp", "email")


def outcome(policy: str, decision: str, rank: int | None) -> str:
    """What the customer gets on one channel for one question whose right entry is at `rank`."""
    if decision == "none":
        return "none"
    if policy == "email" or decision == "answer":
        if rank == 1:
            return "answered_right"
        if policy == "email" and decision == "clarify" and rank and rank <= CLARIFY_OPTIONS:
            return "answered_wrong_right_among_others"
        return "answered_wrong"
    return "clarify_right_offered" if rank and rank <= CLARIFY_OPTIONS else "clarify_wrong_offered"


def policy_rates(decisions: list[str], ranks: list[int | None]) -> dict:
    """Confusion of answer / clarify / none per channel policy, as shares of the questions."""
    n = len(ranks) or 1
    out = {}
    for policy in POLICIES:
        counts: dict[str, int] = {}
        for d, r in zip(decisions, ranks):
            o = outcome(policy, d, r)
            counts[o] = counts.get(o, 0) + 1
        rates = {k: v / n for k, v in sorted(counts.items())}
        out[policy] = {"counts": dict(sorted(counts.items())), "rates": rates}
    return out


def question_scopes(searcher: Searcher, q: Question, shop: str | None, each_shop: bool) -> list[list[str] | None]:
    """The collections to search for one question: --shop, else (with --each-shop) the row's shop
    or the expected entry's shop; an off-topic question with no shop is asked to every shop."""
    from faq.scope import collections_for

    known = set(searcher.collections)
    if shop is not None:
        return [collections_for(shop, known)]
    if q.shop is not None:
        return [collections_for(q.shop, known)]
    if not each_shop:
        return [None]
    if q.id is not None:
        collection = q.id.split(".", 1)[0]
        return [[collection]] if collection in known else [None]
    return [[c] for c in searcher.collections]


def run_eval(searcher: Searcher, questions: list[Question], shop: str | None = None,
             each_shop: bool = False) -> dict:
    """Figures per method and group, plus the decisions our searcher takes on these questions.

    shop: every question is asked to that shop; each_shop: each question to its own shop
    (question_scopes). The baselines always rank the whole base."""
    off_topic = [q for q in questions if q.id is None]
    questions = [q for q in questions if q.id is not None]
    off_decisions = {"answer": 0, "clarify": 0, "none": 0}
    for q in off_topic:
        for collections in question_scopes(searcher, q, shop, each_shop):
            hits, qv = searcher._rank(q.query, collections=collections)
            off_decisions[searcher.decide(hits, q.query, qv)] += 1
    decisions = {"answer": 0, "clarify": 0, "none": 0}
    answered_right = 0
    hybrid_orders: list[list[str]] = []
    decision_list: list[str] = []
    for q in questions:
        collections = question_scopes(searcher, q, shop, each_shop)[0]
        hits, qv = searcher._rank(q.query, collections=collections)
        hybrid_orders.append([h.id for h in hits])
        d = searcher.decide(hits, q.query, qv)
        decision_list.append(d)
        decisions[d] += 1
        answered_right += d == "answer" and bool(hits) and hits[0].id == q.id
    rankers: dict[str, Callable[[int, str], list[str]]] = {"hybrid": lambda i, _q: hybrid_orders[i]}
    for name, make in (("bm25", bm25_ranker), ("char-tfidf", tfidf_ranker)):
        ranker = make(searcher)
        rankers[name] = lambda _i, query, r=ranker: r(query)
    known = set(searcher.ids)
    unknown = sorted({f"{q.file}:{q.line}: {q.id}" for q in questions if q.id not in known})
    groups = _groups(questions)
    report: dict = {"model": searcher.embedder.name, "questions": len(questions),
                    "scope": f"shop {shop}" if shop else ("each question's shop" if each_shop else "whole base"),
                    "unknown_ids": unknown, "methods": {}}
    misses = []
    hybrid_ranks: list[int | None] = []
    for name, rank in rankers.items():
        ranks: list[int | None] = []
        for i, q in enumerate(questions):
            order = rank(i, q.query)
            pos = order.index(q.id) + 1 if q.id in order else None
            ranks.append(pos)
            if name == "hybrid":
                hybrid_ranks.append(pos)
            if name == "hybrid" and pos != 1:
                misses.append({"query": q.query, "expected": q.id, "got": order[0] if order else None,
                               "rank": pos, "where": f"{q.file}:{q.line}"})
        report["methods"][name] = {g: metrics([ranks[i] for i in idx]) for g, idx in groups.items() if idx}
    named = [] if shop or each_shop else [i for i, q in enumerate(questions) if searcher.names_a_shop(q.query)]
    if named:
        report["names_shop"] = metrics([hybrid_ranks[i] for i in named])
    report["decisions"] = decisions
    policies = policy_rates(decision_list, hybrid_ranks)
    report["policies"] = policies
    web = policies["web"]["rates"]
    report["rates"] = {
        "answered_right_at_once": web.get("answered_right", 0.0),
        "answered_wrong_at_once": web.get("answered_wrong", 0.0),
        "clarify": web.get("clarify_right_offered", 0.0) + web.get("clarify_wrong_offered", 0.0),
        "none": web.get("none", 0.0),
        "recall@3": metrics(hybrid_ranks)["recall@3"],
    }
    report["off_topic"] = {"questions": len(off_topic), "decisions": off_decisions,
                           "asked": sum(off_decisions.values()),
                           "none_rate": off_decisions["none"] / sum(off_decisions.values()) if off_topic else None}
    report["answer_precision"] = answered_right / decisions["answer"] if decisions["answer"] else None
    report["misses"] = misses
    return report


def format_report(report: dict) -> str:
    lines = [f"{report['questions']} questions, model {report['model']}"]
    if not report["methods"]:
        return "\n".join(lines)
    groups = list(next(iter(report["methods"].values())).keys())
    lines.append(f"{'method':<12}{'group':<7}{'n':>5}{'top-1':>8}{'MRR':>8}{'R@3':>8}")
    for name, per_group in report["methods"].items():
        for g in groups:
            m = per_group[g]
            lines.append(f"{name:<12}{g:<7}{m['n']:>5}{m['top1']:>8.3f}{m['mrr']:>8.3f}{m['recall@3']:>8.3f}")
    if report.get("rates"):
        r = report["rates"]
        lines.append(f"scope: {report['scope']}; answered right at once {r['answered_right_at_once']:.3f}, "
                     f"answered wrong at once {r['answered_wrong_at_once']:.3f}, clarify {r['clarify']:.3f}, "
                     f"none {r['none']:.3f}, recall@3 {r['recall@3']:.3f}")
        for policy, p in report["policies"].items():
            lines.append(f"  policy {policy:<9}" + ", ".join(f"{k} {v:.3f}" for k, v in p["rates"].items()))
    if report.get("names_shop"):
        m = report["names_shop"]
        lines.append(f"questions naming a shop: {m['n']}, top-1 {m['top1']:.3f}")
    d = report["decisions"]
    prec = report["answer_precision"]
    lines.append(f"decisions: answer {d['answer']}, clarify {d['clarify']}, none {d['none']}; "
                 f"answer precision {prec:.3f}" if prec is not None else
                 f"decisions: answer {d['answer']}, clarify {d['clarify']}, none {d['none']}")
    off = report["off_topic"]
    if off["questions"]:
        od = off["decisions"]
        lines.append(f"off-topic questions: {off['questions']}: none {od['none']}, clarify {od['clarify']}, "
                     f"answer {od['answer']} (none rate {off['none_rate']:.3f})")
    if report["unknown_ids"]:
        lines.append(f"{len(report['unknown_ids'])} question(s) name an id that is not in the FAQ:")
        lines += ["  " + u for u in report["unknown_ids"]]
    if report["misses"]:
        lines.append(f"hybrid top-1 misses ({len(report['misses'])}):")
        lines += [f"  {m['where']}: {m['query']!r} expected {m['expected']} got {m['got']} (rank {m['rank']})"
                  for m in report["misses"]]
    return "\n".join(lines)
