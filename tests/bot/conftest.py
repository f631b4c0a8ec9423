"""Fixtures for the bot tests: isolated ORDERS_DB per test."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def orders_db(tmp_path, monkeypatch) -> str:
    """A real SQLite orders store seeded with the demo orders, used through ORDERS_DB."""
    from actions.demo import seed_demo

    path = str(tmp_path / "orders.db")
    monkeypatch.setenv("ORDERS_DB", path)
    monkeypatch.delenv("ORDERS_STORE", raising=False)
    seed_demo(path)
    return path
