"""WhatsApp, end to end with the real bot (issue 10): a "did you mean" comes as numbered lines from
the shop the customer wrote to, and replying "2" answers option 2 (as clicking its button would)."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from actions.faq_answer import faq_entry
from channels_support import AUTH_TOKEN, wait_until, whatsapp_settings

pytestmark = pytest.mark.slow
CATS = "whatsapp:+3225550104"  # shops.yml: the cats shop's whatsapp_from


async def post(url: str, data: dict) -> int:
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers={"X-Twilio-Signature": sig}) as r:
            return r.status


async def test_reply_2_picks_option_2(make_gateway, twilio, rasa_stack):
    twilio.reset()
    gw = await make_gateway(whatsapp_settings(twilio), rasa_url=rasa_stack.rasa_url)
    customer = "whatsapp:+32470111222"
    url = gw.url + "/webhooks/whatsapp"
    base = {"From": customer, "To": CATS, "NumMedia": "0"}
    assert await post(url, dict(base, Body="mijn account", MessageSid="SM" + "c1" * 16)) == 200
    [first] = await asyncio.to_thread(twilio.wait_for, 1, 60, customer)
    assert "\n1. " in first["body"] and "\n2. " in first["body"], first["body"]
    rows = await wait_until(lambda: [r for r in gw.rows("SELECT * FROM messages WHERE direction='out'")
                                     if r.get("buttons") and r["buttons"] != "[]"], 15.0)
    buttons = json.loads(rows[0]["buttons"]) if isinstance(rows[0]["buttons"], str) else rows[0]["buttons"]
    second_id = json.loads(buttons[1]["payload"][len("/faq_select"):])["faq_id"]
    assert second_id.startswith("cats.")  # the shop written to
    assert await post(url, dict(base, Body="2", MessageSid="SM" + "c2" * 16)) == 200
    answer = faq_entry(second_id, "nl")["answer"].strip()
    parts = answer.count("\n\n") + 1  # Rasa sends each paragraph as a message of its own
    got = await asyncio.to_thread(twilio.wait_for, 1 + parts, 60, customer)
    assert "\n\n".join(m["body"].strip() for m in got[1:]) == answer
