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
    return Question(query.strip(), expected.strip() if expected else None, lang, bool(cross), file, line)


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


def run_eval(searcher: Searcher, questions: list[Question]) -> dict:
    """Figures per method and group, plus the decisions our searcher takes on these questions."""
    off_topic = [q for q in questions if q.id is None]
    questions = [q for q in questions if q.id is not None]
    off_decisions = {"answer": 0, "clarify": 0, "none": 0}
    for q in off_topic:
        hits, qv = searcher._rank(q.query)
        off_decisions[searcher.decide(hits, q.query, qv)] += 1
    decisions = {"answer": 0, "clarify": 0, "none": 0}
    answered_right = 0
    hybrid_orders: list[list[str]] = []
    for q in questions:
        hits, qv = searcher._rank(q.query)
        hybrid_orders.append([h.id for h in hits])
        d = searcher.decide(hits, q.query, qv)
        decisions[d] += 1
        answered_right += d == "answer" and hits[0].id == q.id
    rankers: dict[str, Callable[[int, str], list[str]]] = {"hybrid": lambda i, _q: hybrid_orders[i]}
    for name, make in (("bm25", bm25_ranker), ("char-tfidf", tfidf_ranker)):
        ranker = make(searcher)
        rankers[name] = lambda _i, query, r=ranker: r(query)
    known = set(searcher.ids)
    unknown = sorted({f"{q.file}:{q.line}: {q.id}" for q in questions if q.id not in known})
    groups = _groups(questions)
    report: dict = {"model": searcher.embedder.name, "questions": len(questions),
                    "unknown_ids": unknown, "methods": {}}
    misses = []
    for name, rank in rankers.items():
        ranks: list[int | None] = []
        for i, q in enumerate(questions):
            order = rank(i, q.query)
            pos = order.index(q.id) + 1 if q.id in order else None
            ranks.append(pos)
            if name == "hybrid" and pos != 1:
                misses.append({"query": q.query, "expected": q.id, "got": order[0] if order else None,
                               "rank": pos, "where": f"{q.file}:{q.line}"})
        report["methods"][name] = {g: metrics([ranks[i] for i in idx]) for g, idx in groups.items() if idx}
    report["decisions"] = decisions
    report["off_topic"] = {"questions": len(off_topic), "decisions": off_decisions,
                           "none_rate": off_decisions["none"] / len(off_topic) if off_topic else None}
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
