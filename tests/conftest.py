"""Shared fixtures. Area-specific fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/support/ helpers


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory):
    """A real Rasa server + real action server on free loopback ports (one per test session).

    Trains the model first if bot/ changed. The action server gets its own ORDERS_DB
    (`rasa_stack.orders_db`) seeded with the demo orders, so lookups work out of the box.
    Attributes: rasa_url, actions_url, orders_db; helpers say(), tracker(), slots().
    """
    from support.rasa_stack import start_stack

    workdir = tmp_path_factory.mktemp("rasa_stack")
    try:
        from actions.demo import seed_demo

        seed_demo(str(workdir / "orders.db"))
    except ImportError:  # orders store not there yet: the stack still starts
        pass
    stack = start_stack(workdir)
    yield stack
    stack.stop()
