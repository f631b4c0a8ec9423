"""RASA_URL with several Rasa servers: each conversation belongs to exactly one of them."""
from __future__ import annotations

import uuid

from connectors import rasa_client

TWO = "http://127.0.0.1:5005, http://127.0.0.1:5006/"


def test_one_url_is_used_as_is():
    assert rasa_client.servers("http://127.0.0.1:5005/") == ["http://127.0.0.1:5005"]
    assert rasa_client.server_for("http://127.0.0.1:5005", "anything") == "http://127.0.0.1:5005"


def test_a_list_names_every_server_once_without_trailing_slash():
    assert rasa_client.servers(TWO) == ["http://127.0.0.1:5005", "http://127.0.0.1:5006"]


def test_the_same_conversation_always_goes_to_the_same_server():
    conv = str(uuid.uuid4())
    assert len({rasa_client.server_for(TWO, conv) for _ in range(20)}) == 1


def test_conversations_spread_over_all_servers():
    ids = [str(uuid.uuid4()) for _ in range(400)]
    counts: dict[str, int] = {}
    for conv in ids:
        owner = rasa_client.server_for(TWO, conv)
        counts[owner] = counts.get(owner, 0) + 1
    assert set(counts) == set(rasa_client.servers(TWO))
    assert min(counts.values()) > 140  # roughly half each (binomial: 200 +- 10)
