"""Failed-lookup limits shared by every action server through Postgres (DATABASE_URL)."""
from __future__ import annotations

from actions import lookup_guard


def test_failures_count_on_postgres_across_processes_and_block_at_the_limit(postgres, monkeypatch, tmp_path):
    url = postgres.new_database()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOOKUP_MAX_FAILURES_PER_SENDER", "3")
    monkeypatch.setenv("ORDERS_DB", str(tmp_path / "orders.db"))
    for _ in range(2):
        lookup_guard.record_failure("contact:1")
    assert lookup_guard.recent_failures("contact:1") == 2 and not lookup_guard.is_blocked("contact:1")
    lookup_guard._pg.clear()  # another action server (new connection) sees the same counts
    lookup_guard.record_failure("contact:1")
    assert lookup_guard.is_blocked("contact:1") and not lookup_guard.is_blocked("contact:2")
    assert not (tmp_path / "orders.db").exists()  # nothing went to the SQLite file


def test_without_database_url_the_counts_stay_in_the_orders_file(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ORDERS_DB", str(tmp_path / "orders.db"))
    lookup_guard.record_failure("contact:9")
    assert lookup_guard.recent_failures("contact:9") == 1 and (tmp_path / "orders.db").exists()
