"""`helpdesk up` warms the bot before it says ready; a bot that is not there is no crash."""
from __future__ import annotations

import pytest

from helpdesk.up.warmup import TURNS, warm_up

from .conftest import free_port


def test_unreachable_rasa_answers_nothing_and_does_not_raise():
    answered, took = warm_up(f"http://127.0.0.1:{free_port()}", timeout=5)
    assert answered == 0 and took < 5


@pytest.mark.slow
def test_real_bot_answers_every_warm_up_turn(bot_stack):
    answered, _ = warm_up(bot_stack.rasa_url)
    assert answered == len(TURNS)
