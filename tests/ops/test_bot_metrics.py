"""Metrics with the real bot: turn latency per channel and the FAQ action's decisions."""
from __future__ import annotations

import pytest

from connectors import flow, store

from .conftest import running_gateway, wait_for
from .test_metrics import scrape

pytestmark = pytest.mark.slow


async def test_turn_latency_and_faq_decisions_from_the_bot(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "h.db", RASA_URL=bot_stack.rasa_url,
                               ACTIONS_URL=bot_stack.actions_url) as gw:
        got = await flow.receive(gw.app, channel="web", identity="m1",
                                 text="Waar kan ik mijn factuur downloaden?", meta={"language": "nl"})
        cid = got["conversation_id"]
        await wait_for(lambda: [e for e in store.list_events(gw.db, cid) if e["type"] == "faq"],
                       timeout=60, what="faq event")
        (event,) = [e for e in store.list_events(gw.db, cid) if e["type"] == "faq"]
        assert event["data"]["decision"] in ("answer", "clarify", "none")
        assert event["data"]["lang"] == "nl" and event["data"]["message_id"] == got["message_id"]
        # the marker itself is never sent to the customer
        assert all(m["text"] for m in store.list_messages(gw.db, cid) if m["direction"] == "out")
        m = await scrape(gw)
        assert m[("helpdesk_turn_latency_seconds_count", ("channel", "web"))] == 1
        assert m[("helpdesk_faq_decisions_total", ("decision", event["data"]["decision"]), ("lang", "nl"))] == 1
