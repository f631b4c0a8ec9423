"""CSAT: asked once after a close, on the customer's channel and language; a bare 1-5 answers it."""
from __future__ import annotations

import datetime as dt

import pytest

from helpdesk import wording
from connectors import csat, flow, handoff, report, store

from .conftest import running_gateway

AGENT = {"id": 1, "role": "agent", "name": None}


def outbound(db, cid):
    return [m for m in store.list_messages(db, cid) if m["direction"] == "out"]


@pytest.mark.parametrize("text,score", [("4", 4), (" 5 ", 5), ("3/5", 3), ("2 sterren", 2), ("1 étoile", 1),
                                        ("5!", 5), ("4\n\nOn Mon, the shop wrote:\n> Hoe tevreden", 4),
                                        ("6", None), ("45", None), ("4 weken geleden besteld", None),
                                        ("", None), (None, None), ("bestelling 10000002", None)])
def test_parse_score(text, score):
    assert csat.parse_score(text) == score


async def test_agent_close_asks_once_with_buttons_and_a_digit_answers_it(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        app, db = gw.app, gw.db
        got = await flow.receive(app, channel="web", identity="w1", text="ik wil een mens", meta={"language": "nl"})
        cid = got["conversation_id"]
        handoff.escalate(app, cid, "asked")
        handoff.take(app, cid, AGENT)
        handoff.close(app, cid, "agent:1", AGENT)
        question = [m for m in outbound(db, cid) if m["text"] == wording.text("csat_question_web", "nl")]
        assert len(question) == 1 and [b["payload"] for b in question[0]["buttons"]] == ["1", "2", "3", "4", "5"]
        assert not csat.ask(app, store.get_conversation(db, cid), True)  # asked once only

        rated = await flow.receive(app, channel="web", identity="w1", text="4")
        assert rated["conversation_id"] == cid  # stored with the closed conversation, no new one
        conv = store.get_conversation(db, cid)
        assert conv["state"] == "closed" and conv["csat_score"] == 4
        assert outbound(db, cid)[-1]["text"] == wording.text("csat_thanks", "nl")
        assert db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 1
        # the question is answered: the next digit is an ordinary message in a new conversation
        again = await flow.receive(app, channel="web", identity="w1", text="5")
        assert again["conversation_id"] != cid
        assert store.get_conversation(db, cid)["csat_score"] == 4
        r = report.build(db)
        assert r["csat"]["average"] == 4 and r["csat"]["asked"] == 1 and r["csat"]["answered"] == 1


async def test_whatsapp_is_asked_only_inside_the_24_hour_window(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        app, db = gw.app, gw.db
        inside = await flow.receive(app, channel="whatsapp", identity="whatsapp:+32470000001", text="bonjour",
                                    meta={"language": "fr"})
        handoff.take(app, inside["conversation_id"], AGENT)
        handoff.close(app, inside["conversation_id"], "agent:1", AGENT)
        texts = [m["text"] for m in outbound(db, inside["conversation_id"])]
        assert wording.text("csat_question_whatsapp", "fr") in texts

        outside = await flow.receive(app, channel="whatsapp", identity="whatsapp:+32470000002", text="hallo")
        old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)).isoformat()
        store.update_conversation(db, outside["conversation_id"], last_customer_message_at=old)
        handoff.take(app, outside["conversation_id"], AGENT)
        handoff.close(app, outside["conversation_id"], "agent:1", AGENT)
        assert not store.get_conversation(db, outside["conversation_id"])["csat_asked_at"]
        assert not any(m["text"] in (wording.text("csat_question_whatsapp", l) for l in wording.LANGS)
                       for m in outbound(db, outside["conversation_id"]))


async def test_email_reply_with_a_number_rates_the_thread(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        app, db = gw.app, gw.db
        got = await flow.receive(app, channel="email", identity="jan@example.be", text="Mijn factuur klopt niet",
                                 thread_key="<root@example.be>", meta={"language": "nl"})
        cid = got["conversation_id"]
        handoff.take(app, cid, AGENT)
        handoff.close(app, cid, "agent:1", AGENT)
        assert [m["text"] for m in outbound(db, cid)] == [wording.text("csat_question_email", "nl")]
        rated = await flow.receive(app, channel="email", identity="jan@example.be",
                                   text="5\n\nOp ma schreef de winkel:\n> Hoe tevreden bent u", thread_key="<root@example.be>")
        assert rated["conversation_id"] == cid and store.get_conversation(db, cid)["csat_score"] == 5
        assert len(outbound(db, cid)) == 1  # no thank-you mail


async def test_bot_closes_after_thanks_only_when_it_resolved_something(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        app, db = gw.app, gw.db
        thanks = [{"recipient_id": "x", "text": "Graag gedaan! Kan ik nog ergens mee helpen?"},
                  {"recipient_id": "x", "custom": {"closing": "thank"}}]
        a = (await flow.receive(app, channel="web", identity="w1", text="hallo"))["conversation_id"]
        flow.deliver_bot_replies(app, a, thanks)
        assert store.get_conversation(db, a)["state"] == "bot"  # nothing resolved yet: stays open
        b = (await flow.receive(app, channel="web", identity="w2", text="factuur?"))["conversation_id"]
        flow.deliver_bot_replies(app, b, [{"recipient_id": "x", "text": "In je account."},
                                          {"recipient_id": "x", "custom": {"faq": {"decision": "answer", "lang": "nl",
                                                                                   "id": "a.b", "score": 0.8}}}])
        flow.deliver_bot_replies(app, b, thanks)
        conv = store.get_conversation(db, b)
        assert conv["state"] == "closed" and conv["csat_asked_at"]
        assert [m["text"] for m in outbound(db, b)][-2:] == [thanks[0]["text"], wording.text("csat_question_web", "nl")]
        c = (await flow.receive(app, channel="web", identity="w3", text="waar is mijn pakket"))["conversation_id"]
        flow.deliver_bot_replies(app, c, [{"recipient_id": "x", "text": "Je bestelling is onderweg."},
                                          {"recipient_id": "x", "custom": {"lookup": "found"}}])
        flow.deliver_bot_replies(app, c, [{"recipient_id": "x", "text": "Tot ziens!"},
                                          {"recipient_id": "x", "custom": {"closing": "goodbye"}}])
        assert store.get_conversation(db, c)["state"] == "closed"
        assert all(m["text"] for m in outbound(db, c))  # markers are never sent
