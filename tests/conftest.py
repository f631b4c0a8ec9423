"""Shared fixtures. Area-specific fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/support/ helpers
os.environ["HELPDESK_DOTENV"] = "0"  # a developer's .env must not leak into the tests (helpdesk.settings)


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory):
    """A real Rasa server + real action server on free loopback ports (one per test session).

    Trains a model first only if bot/models/ has none (`make test` runs `helpdesk train`, which
    retrains when bot/ changed). The action server gets its own ORDERS_DB (`rasa_stack.orders_db`)
    seeded with the demo orders (actions/demo.py), so lookups work out of the box.
    Attributes: rasa_url, actions_url, orders_db; helpers say(), tracker(), slots().
    """
    from actions.demo import seed_demo
    from support.rasa_stack import start_stack

    workdir = tmp_path_factory.mktemp("rasa_stack")
    seed_demo(str(workdir / "orders.db"))
    stack = start_stack(workdir)
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def postgres():
    """A private Postgres server (Debian's binaries) on a free loopback port; `.new_database()`
    gives each test its own database URL. Skipped with the reason when postgresql is not installed."""
    from support import engines

    if engines.pg_bin_dir() is None:
        pytest.skip("postgresql is not installed (scripts/system-deps installs it)")
    server = engines.start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server on a free loopback port (`.url`). Skipped when it is not installed."""
    import shutil

    from support import engines

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (scripts/system-deps installs it)")
    server = engines.start_redis()
    yield server
    server.stop()
