"""Gateway and bot agree on the conversation language every turn (one rule: faq.language_policy).

The gateway decides with the rule and sends its decision as metadata `language`; the bot's slot
mapping applies the same rule to it. So the queue notice (gateway) and the bot's handoff message
come in the same language.
"""
from __future__ import annotations

import asyncio
import re
import uuid

import pytest
import yaml
from rasa_sdk import Tracker

from actions.validation import ValidateSlotMappings
from connectors import flow, store
from faq import language_policy
from helpdesk import wording

from support.waiting import wait_until

from .conftest import running_gateway

TURNS = [  # (customer message, language of the conversation after it)
    ("Bonjour", "fr"),
    ("Hallo", "fr"),  # a lone greeting is not sure enough to switch
    ("ok", "fr"),
    ("jan@example.be", "fr"),  # bare values never flip
    ("en néerlandais svp", "nl"),  # an explicit request does, whatever the words' language
    ("12345678", "nl"),
]


def bot_language(text: str, slot: str | None, metadata_language: str | None) -> str:
    """What the action server sets the `language` slot to after this message."""
    latest = {"text": text, "intent": {"name": None, "confidence": 1.0}, "entities": [],
              "metadata": {"language": metadata_language} if metadata_language else {}}
    trk = Tracker("s", {"language": slot}, latest, [], False, None, {}, "action_listen")
    return asyncio.run(ValidateSlotMappings().extract_language(None, trk, {}))["language"]


@pytest.mark.parametrize("seed", [None, "nl", "fr"])
def test_gateway_and_bot_decide_the_same_language_every_turn(seed):
    conversation, slot = seed, None
    for text, expected in TURNS:
        conversation = flow.detect_language(text, conversation)  # gateway, before asking Rasa
        slot = bot_language(text, slot, conversation)
        assert (conversation, slot) == (expected, expected), text


def test_the_bot_alone_follows_the_same_rule():
    """Without a gateway (no metadata) the slot is the prior: the same languages come out."""
    slot = None
    for text, expected in TURNS:
        slot = bot_language(text, slot, None)
        assert slot == expected, text


def nlu_examples():
    """(intent, example text) of every NLU training and held-out example, entity markup removed."""
    from helpdesk.paths import BOT_DIR

    for path in sorted((BOT_DIR / "data" / "nlu").glob("*.yml")) + sorted((BOT_DIR / "tests" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in (item.get("examples") or "").splitlines() if "intent" in item else []:
                if line.strip().startswith("- "):
                    yield item["intent"], re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line.strip()[2:])


def test_language_requests_are_recognised_without_the_bots_intent():
    """The gateway has no NLU: the rule itself must tell a request ("Nederlands aub", "ik spreek geen
    Frans") from a mention. Every change_language example is one, no other intent's example is."""
    wrong = [(intent, text) for intent, text in nlu_examples()
             if language_policy.is_language_request(text) != (intent == "change_language")]
    assert wrong == []
    asks = [text for intent, text in nlu_examples() if intent == "change_language"]
    assert len(asks) > 40 and all(language_policy.requested_language(t) for t in asks)


@pytest.mark.slow
async def test_real_bot_and_queue_notice_speak_the_conversation_language(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "helpdesk.db", RASA_URL=bot_stack.rasa_url,
                               ACTIONS_URL=bot_stack.actions_url) as gw:
        identity = f"lang-{uuid.uuid4().hex}"
        for text, expected in TURNS + [("ik wil een medewerker", "nl")]:
            got = await flow.receive(gw.app, channel="web", identity=identity, text=text,
                                     meta={"language": "fr"})
            cid = got["conversation_id"]
            await wait_until(lambda: store.get_message(gw.db, got["message_id"])["status"] != "received",
                             timeout=60, what=f"the bot to answer {text!r}")
            conv = store.get_conversation(gw.db, cid)
            slot = await asyncio.to_thread(lambda: bot_stack.tracker(cid)["slots"]["language"])
            assert (conv["language"], slot) == (expected, expected), text

        conv = await wait_until(lambda: (c := store.get_conversation(gw.db, cid))["state"] == "pending" and c,
                                timeout=30, what="the handoff")
        outbound = await wait_until(
            lambda: [m for m in store.list_messages(gw.db, cid) if m["direction"] == "out"
                     and m["author"] == "system"] and store.list_messages(gw.db, cid),
            timeout=30, what="the queue notice")
        bot_texts = [m["text"] for m in outbound if m["author"] == "bot"]
        notice = [m["text"] for m in outbound if m["author"] == "system"][-1]
        assert bot_texts[-1] == wording.text("handoff_asked", "nl")
        assert wording.text("queue_place", "nl", position=1) in notice
        assert conv["language"] == "nl"
