"""The real bot closes a resolved conversation on thanks, and the customer's digit rates it."""
from __future__ import annotations

import pytest

from helpdesk import wording
from connectors import csat, flow, store

from .conftest import running_gateway, wait_for

pytestmark = pytest.mark.slow


async def test_thanks_after_an_answer_closes_and_asks_for_a_rating(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "h.db", RASA_URL=bot_stack.rasa_url,
                               ACTIONS_URL=bot_stack.actions_url) as gw:
        db = gw.db
        first = await flow.receive(gw.app, channel="web", identity="csat-web", text="Ik ben mijn wachtwoord van Mister-Auto vergeten. Wat moet ik doen?",
                                   meta={"language": "nl"})
        cid = first["conversation_id"]
        faq = await wait_for(lambda: [e for e in store.list_events(db, cid) if e["type"] == "faq"], timeout=90,
                             what="faq decision")
        assert faq[0]["data"]["decision"] == "answer", faq
        await flow.receive(gw.app, channel="web", identity="csat-web", text="Bedankt!")
        await wait_for(lambda: store.get_conversation(db, cid)["state"] == "closed", timeout=90, what="closed")
        question = [m for m in store.list_messages(db, cid) if m["text"] == wording.text("csat_question_web", "nl")]
        assert len(question) == 1 and len(question[0]["buttons"]) == 5
        rated = await flow.receive(gw.app, channel="web", identity="csat-web", text=question[0]["buttons"][4]["payload"])
        assert rated["conversation_id"] == cid and store.get_conversation(db, cid)["csat_score"] == 5
        closed = [e for e in store.list_events(db, cid) if e["type"] == "closed"]
        assert closed[0]["actor"] == "bot"
