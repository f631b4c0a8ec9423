"""FAISS vector index, saved to disk with a fingerprint so unchanged bases are not re-embedded.

Small bases use an exact `IndexFlatIP` (inner product == cosine on unit vectors); above
`HNSW_MIN_ROWS` vectors an HNSW graph keeps queries fast with no training step.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import faiss
import numpy as np

HNSW_MIN_ROWS = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128
FORMAT_VERSION = 1


def fingerprint(rows: list[tuple[str, ...]], texts: list[str], model_name: str) -> str:
    """Hash of every indexed text, its row label and the model: any change forces a rebuild."""
    h = hashlib.sha256()
    h.update(f"v{FORMAT_VERSION}|{model_name}|".encode())
    for row, text in zip(rows, texts):
        h.update(json.dumps([list(row), text], ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def build(vectors: np.ndarray) -> faiss.Index:
    """Exact search for small bases, HNSW for big ones."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n >= HNSW_MIN_ROWS:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    tune(index)
    return index


def tune(index: faiss.Index) -> None:
    """Search settings; one OpenMP thread: single queries gain nothing from more, and spinning
    OpenMP workers on a busy 2-core machine multiply latency."""
    from faq.embedders import threads

    faiss.omp_set_num_threads(threads())
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH


def save(directory: Path, index: faiss.Index, meta: dict[str, Any]) -> None:
    """Write index + meta atomically (temp file, then rename), so a reader never sees half a file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, writer in (("index.faiss", lambda p: faiss.write_index(index, p)),
                         ("meta.json", lambda p: Path(p).write_text(json.dumps(meta, ensure_ascii=False)))):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        os.close(fd)
        try:
            writer(tmp)
            os.replace(tmp, directory / name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def load(directory: Path, expected_fingerprint: str) -> tuple[faiss.Index, dict[str, Any]] | None:
    """The saved index if it matches the fingerprint, else None (caller rebuilds)."""
    directory = Path(directory)
    try:
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("fingerprint") != expected_fingerprint:
            return None
        index = faiss.read_index(str(directory / "index.faiss"))
    except (OSError, ValueError, RuntimeError):
        return None
    if index.ntotal != meta.get("rows"):
        return None
    tune(index)
    return index, meta
