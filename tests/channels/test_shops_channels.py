"""Shops on WhatsApp and email (issue 10): the number or inbox the customer wrote to picks the shop.

Real parts: the gateway app on a real SQLite file, Twilio webhooks signed with the twilio library
and answered through the real twilio client to the local stand-in, mail through Dovecot (one
catch-all mailbox holding several shops' inboxes) and out through aiosmtpd. Rasa is down here, so
the replies are the flow's own (media-only / technical-problem notices): what matters is which
shop, which sending number/address and which shop name they carry.
"""
from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from channels_support import wait_until as support_wait_until
from channels_support import AUTH_TOKEN, MAILBOX, WA_FROM, email_settings, whatsapp_settings
from connectors import flow

SHOPS = """
default_shop: alpha
shops:
  - id: alpha
    name: Alpha Parts
    default_language: nl
    whatsapp_from: "+3225550100"
    email: [help@alpha.test]
  - id: beta
    name: Beta Vignettes
    default_language: fr
    whatsapp_from: "whatsapp:+33155550101"
    email: [service@beta.test]
"""
CUSTOMER = "+32470555666"


def wait_until(predicate, timeout: float = 15.0):
    return support_wait_until(predicate, timeout, 0.05)


@pytest.fixture
def shops_file(tmp_path):
    path = tmp_path / "shops.yml"
    path.write_text(SHOPS, encoding="utf-8")
    return str(path)


async def signed_post(url: str, data: dict) -> int:
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers={"X-Twilio-Signature": sig}) as r:
            return r.status


def media_only(sid: str, to: str, customer: str = CUSTOMER) -> dict:
    return {"From": f"whatsapp:{customer}", "To": to, "MessageSid": sid, "AccountSid": "AC1",
            "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/m/ME1", "MediaContentType0": "image/jpeg"}


async def test_whatsapp_to_two_numbers_makes_two_shops_conversations(make_gateway, twilio, shops_file):
    twilio.reset()
    gw = await make_gateway({**whatsapp_settings(twilio), "SHOPS_FILE": shops_file})
    url = gw.url + "/webhooks/whatsapp"
    # the same customer writes to both shops' numbers; another one to a number no shop lists
    other = "+32470777888"
    assert await signed_post(url, media_only("MM_alpha", "whatsapp:+3225550100")) == 200
    assert await signed_post(url, media_only("MM_beta", "whatsapp:+33155550101")) == 200
    assert await signed_post(url, media_only("MM_other", WA_FROM, other)) == 200
    await wait_until(lambda: len(gw.rows("SELECT * FROM conversations")) >= 3)
    convs = gw.rows("SELECT * FROM conversations ORDER BY rowid")
    assert [c["shop"] for c in convs] == ["alpha", "beta", "alpha"]  # unknown To -> the default shop
    assert convs[0]["contact_id"] == convs[1]["contact_id"] != convs[2]["contact_id"]
    by_message = {r["channel_message_id"]: r["shop"] for r in gw.rows(
        "SELECT m.channel_message_id, c.shop FROM messages m JOIN conversations c ON c.id=m.conversation_id"
        " WHERE m.direction='in'")}
    assert by_message == {"MM_alpha": "alpha", "MM_beta": "beta", "MM_other": "alpha"}
    # each reply goes out from the number the customer wrote to
    replies = await asyncio.to_thread(twilio.wait_for, 2, 15, f"whatsapp:{CUSTOMER}")
    assert sorted(r["from"] for r in replies) == ["whatsapp:+3225550100", "whatsapp:+33155550101"]
    replies = await asyncio.to_thread(twilio.wait_for, 1, 15, f"whatsapp:{other}")
    assert [r["from"] for r in replies] == [WA_FROM]
    # a second message to shop beta's number stays in beta's conversation
    assert await signed_post(url, media_only("MM_beta2", "whatsapp:+33155550101")) == 200
    rows = await wait_until(lambda: gw.rows("SELECT c.shop FROM messages m JOIN conversations c"
                                            " ON c.id=m.conversation_id WHERE m.channel_message_id='MM_beta2'"))
    assert rows == [{"shop": "beta"}] and len(gw.rows("SELECT * FROM conversations")) == 3


def mail(msg_id: str, to: str, body: str, extra: dict | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Marie Dubois <marie@example.fr>"
    msg["To"] = to
    msg["Subject"] = "Question"
    msg["Message-ID"] = msg_id
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0100"
    for k, v in (extra or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg.as_bytes()


async def test_email_to_two_inbox_addresses_makes_two_shops_conversations(make_gateway, dovecot, smtp_sink,
                                                                          shops_file, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    gw = await make_gateway({**email_settings(dovecot, smtp_sink), "SHOPS_FILE": shops_file})
    dovecot.append(MAILBOX, mail("<a1@example.fr>", "Alpha <help@alpha.test>", "Waar is mijn factuur?"))
    # To is a list address; Delivered-To (the envelope recipient) names beta's inbox
    dovecot.append(MAILBOX, mail("<b1@example.fr>", "klanten@lists.example", "Où est ma facture ?",
                                 {"Delivered-To": "service@beta.test"}))
    dovecot.append(MAILBOX, mail("<c1@example.fr>", MAILBOX, "Bonjour, une question"))
    await wait_until(lambda: len(gw.rows("SELECT * FROM conversations")) >= 3)
    convs = gw.rows("SELECT * FROM conversations")
    shop_of = {c["thread_key"]: (c["shop"], c["shop_address"]) for c in convs}
    assert shop_of == {"<a1@example.fr>": ("alpha", "help@alpha.test"),
                       "<b1@example.fr>": ("beta", "service@beta.test"),
                       "<c1@example.fr>": ("alpha", None)}  # no shop inbox -> the default shop
    replies = await asyncio.to_thread(smtp_sink.wait_for, 3, 30, "marie@example.fr")
    assert len(replies) == 3
    by_thread = {r["In-Reply-To"]: r for r in replies}
    # from the inbox written to, under the shop's name, closing with the shop's name
    assert by_thread["<a1@example.fr>"]["From"] == "Alpha Parts <help@alpha.test>"
    assert by_thread["<b1@example.fr>"]["From"] == "Beta Vignettes <service@beta.test>"
    assert by_thread["<c1@example.fr>"]["From"] == f"Shop Support <{MAILBOX}>"  # SMTP_FROM
    def body(thread: str) -> str:
        return by_thread[thread].get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip()

    assert body("<a1@example.fr>").endswith("Met vriendelijke groet,\nAlpha Parts")
    assert body("<b1@example.fr>").endswith("Cordialement,\nBeta Vignettes")
    assert body("<c1@example.fr>").endswith("Alpha Parts")
