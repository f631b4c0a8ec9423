"""Process-wide FAQ searcher that follows the files under the FAQ folder without a restart.

At most once a second (`CHECK_INTERVAL`) a search stats the FAQ files (cheap: a few dozen
`stat` calls); if any changed, was added or removed, the base is reloaded and the index rebuilt or
reused from disk. If the new files are broken, the previous base keeps serving and the problems are
logged loudly (the first load raises instead, so nothing ever serves a silently shrunken base).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

from faq.embedders import configured_name, get_embedder
from faq.loader import FaqError, faq_files, load_entries
from faq.searcher import Searcher
from helpdesk import settings

log = logging.getLogger(__name__)
CHECK_INTERVAL = 1.0


def faq_dir() -> Path:
    """FAQ_DIR setting, default the repo's faq/ folder."""
    return Path(settings.current().FAQ_DIR).expanduser().resolve()


def index_dir(base: Path, embedder_name: str) -> Path:
    """FAQ_INDEX_DIR setting, default `<faq dir>/.index`; one sub-folder per embedder."""
    root = Path(settings.current().FAQ_INDEX_DIR or str(base / ".index")).expanduser()
    return root / re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_name)


def signature(base: Path) -> tuple:
    """What changes when any FAQ file is edited, added or removed."""
    out = []
    for p in faq_files(base):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return (str(base), tuple(out))


def open_searcher(base: Path | None = None, embedder_spec: str | None = None,
                  progress: bool = False) -> Searcher:
    """Load, validate and index a base (raises FaqError listing every file:line problem)."""
    base = base or faq_dir()
    embedder = get_embedder(embedder_spec or configured_name())
    entries = load_entries(base)
    return Searcher(entries, embedder, index_dir(base, embedder.name), progress=progress)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.searcher: Searcher | None = None
        self.key: tuple | None = None
        self.checked = 0.0
        self.last_error: str | None = None

    def get(self) -> Searcher:
        with self.lock:
            now = time.monotonic()
            base, spec = faq_dir(), configured_name()
            if (self.searcher is not None and self.key is not None and self.key[0][0] == str(base)
                    and self.key[1] == spec and now - self.checked < CHECK_INTERVAL):
                return self.searcher
            self.checked = now
            key = (signature(base), spec)
            if self.searcher is not None and key == self.key:
                return self.searcher
            try:
                searcher = open_searcher(base, key[1])
            except FaqError as exc:
                if self.searcher is None or self.key is None or self.key[0][0] != str(base) \
                        or self.key[1] != spec:
                    raise  # nothing of this base/model to fall back on: fail loudly
                message = str(exc)
                if message != self.last_error:
                    log.error("FAQ files have problems; still serving the previous version:\n%s", message)
                    self.last_error = message
                self.key = key  # don't retry every second; the next edit triggers a new attempt
                return self.searcher
            self.searcher, self.key, self.last_error = searcher, key, None
            return searcher


_cache = _Cache()


def searcher() -> Searcher:
    """The current searcher (reloaded when the FAQ files changed)."""
    return _cache.get()


def search(query: str, k: int = 3, lang: str | None = None, prior: str | None = None,
           shop: str | None = None, collections: list[str] | None = None) -> dict:
    """Contract in docs/CONTRACTS.md: the `helpdesk faq search --json` object for one question.

    shop / collections: search only that shop's collections (a shop's customers never get another
    shop's answer); neither: the whole base. Each result names its collection's `shop`."""
    return searcher().search(query, k=k, lang=lang, prior=prior, shop=shop, collections=collections)


def entry(faq_id: str, lang: str) -> dict | None:
    """One entry of the base the search serves (FAQ_DIR), as `{"id", "lang", "question", "answer"}`.

    Clarify buttons carry an entry id; reading it here (not from a path of our own) means the
    answer always comes from the same files, and the same reload, as the search that offered it.
    """
    found = searcher().entry(faq_id, lang)
    if found is None:
        return None
    return {"id": found.id, "lang": found.lang, "question": found.question, "answer": found.answer}
