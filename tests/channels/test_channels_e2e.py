"""End to end with the real bot: WhatsApp and email in, the real Rasa + action servers, replies out.

The expected answer is not hard-coded: the same question is put to the same Rasa directly (fresh
sender id), and the reply that reaches the Twilio stand-in or the SMTP server must carry it.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from email.message import EmailMessage

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from channels_support import wait_until as support_wait_until
from channels_support import AUTH_TOKEN, MAILBOX, WA_FROM, email_settings, settle, whatsapp_settings
from connectors.flow import BOT_DOWN

pytestmark = pytest.mark.slow

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def direct_answer(rasa_stack, text: str, language: str, channel: str) -> list[dict]:
    """What the bot answers to `text` as a first message (a fresh Rasa sender)."""
    replies = rasa_stack.say(f"probe-{uuid.uuid4().hex}", text, {"language": language, "channel": channel})
    texts = [r for r in replies if r.get("text")]
    assert texts, f"the bot gave no text answer to {text!r}: {replies!r}"
    return texts


async def signed_post(url: str, data: dict) -> tuple[int, str]:
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers={"X-Twilio-Signature": sig}) as r:
            return r.status, await r.text()


def wait_until(predicate, timeout: float = 30.0):
    return support_wait_until(predicate, timeout, 0.1)


async def test_whatsapp_signed_message_gets_the_bots_answer_once(make_gateway, twilio, rasa_stack):
    twilio.reset()
    gw = await make_gateway(whatsapp_settings(twilio), rasa_url=rasa_stack.rasa_url)
    customer = "+32470998877"
    question = "Waar kan ik mijn factuur downloaden?"
    t0 = time.monotonic()
    expected = await asyncio.to_thread(direct_answer, rasa_stack, question, "nl", "whatsapp")
    probe_seconds = time.monotonic() - t0
    url = gw.url + "/webhooks/whatsapp"
    data = {"From": f"whatsapp:{customer}", "To": WA_FROM, "Body": question, "MessageSid": "SM" + "e2e" * 10,
            "NumMedia": "0", "ProfileName": "Jan"}
    started = time.monotonic()
    # Twilio retries a webhook it thinks failed: the same MessageSid twice, even at the same time
    results = await asyncio.gather(signed_post(url, data), signed_post(url, data))
    ack_seconds = time.monotonic() - started
    assert results == [(200, EMPTY_TWIML)] * 2
    assert ack_seconds < 5  # acknowledged before the bot turn finishes, not after
    got = await asyncio.to_thread(twilio.wait_for, len(expected), 60, f"whatsapp:{customer}")
    await settle(gw.app, quiet=1.0, extra=lambda: len(twilio.messages))  # a second reply would be here now
    got = [m for m in twilio.messages if m["to"] == f"whatsapp:{customer}"]
    print(f"\nwhatsapp e2e: direct Rasa turn {probe_seconds:.2f}s, webhook ack {ack_seconds:.3f}s, "
          f"first reply at stand-in {got[0]['received_at'] - started:.2f}s" if got else "no reply")
    assert len(got) == len(expected), (got, expected)
    assert got[0]["body"].startswith(expected[0]["text"].strip()[:200])
    assert got[0]["body"] != BOT_DOWN["nl"]
    assert len(gw.rows("SELECT * FROM messages WHERE direction='in'")) == 1
    out = await wait_until(lambda: [r for r in gw.rows("SELECT * FROM messages WHERE direction='out'")
                                    if r["status"] in ("sent", "delivered")])
    assert out and {r["author"] for r in out} == {"bot"}


def mail(msg_id: str, subject: str, body: str, in_reply_to: str | None = None, references: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Marie Dubois <marie.e2e@example.fr>"
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Message-ID"] = msg_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


async def test_email_in_gets_a_threaded_bot_reply_and_the_thread_stays_one_conversation(
        make_gateway, dovecot, smtp_sink, rasa_stack):
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    gw = await make_gateway(email_settings(dovecot, smtp_sink), rasa_url=rasa_stack.rasa_url)
    question = "Où puis-je télécharger ma facture ?"
    expected = await asyncio.to_thread(direct_answer, rasa_stack, question, "fr", "email")
    dovecot.append(MAILBOX, mail("<e2e-1@example.fr>", "Ma facture",
                                 question + "\n\nCordialement,\nMarie\n\nEnvoyé de mon iPhone\n"))
    replies = await asyncio.to_thread(smtp_sink.wait_for, 1, 60, "marie.e2e@example.fr")
    assert replies, "no reply reached the SMTP server"
    first = replies[0]
    assert first["Subject"] == "Re: Ma facture"
    assert first["In-Reply-To"] == "<e2e-1@example.fr>"
    assert first["References"].split() == ["<e2e-1@example.fr>"]
    assert expected[0]["text"].strip()[:200] in first.get_body(("plain",)).get_content()
    inbound = gw.rows("SELECT * FROM messages WHERE direction='in'")
    assert [r["text"] for r in inbound] == [question]

    # the customer answers our reply: same conversation, and our answer threads under it
    n_before = len(smtp_sink.messages)
    dovecot.append(MAILBOX, mail("<e2e-2@example.fr>", "Re: Ma facture",
                                 "Et comment je peux suivre ma livraison ?",
                                 in_reply_to=first["Message-ID"],
                                 references=f"<e2e-1@example.fr> {first['Message-ID']}"))
    second = await asyncio.to_thread(smtp_sink.wait_for, n_before + 1, 60, "marie.e2e@example.fr")
    assert len(second) > n_before
    reply = second[n_before]
    assert reply["In-Reply-To"] == "<e2e-2@example.fr>"
    refs = reply["References"].split()
    assert refs[0] == "<e2e-1@example.fr>" and refs[-1] == "<e2e-2@example.fr>" and first["Message-ID"] in refs
    convs = gw.rows("SELECT * FROM conversations")
    assert len(convs) == 1 and convs[0]["language"] == "fr"
    assert len(gw.rows("SELECT * FROM messages WHERE direction='in'")) == 2


async def test_email_handoff_turn_is_one_mail(make_gateway, dovecot, smtp_sink, rasa_stack):
    """The real bot's handoff turn (its text + the handoff signal) and the queue notice: one mail."""
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    gw = await make_gateway(email_settings(dovecot, smtp_sink), rasa_url=rasa_stack.rasa_url)
    question = "Je voudrais parler à un conseiller s'il vous plaît"
    expected = await asyncio.to_thread(direct_answer, rasa_stack, question, "fr", "email")
    probe = rasa_stack.say(f"probe-{uuid.uuid4().hex}", question, {"language": "fr", "channel": "email"})
    assert any(isinstance(r.get("custom"), dict) and "handoff" in r["custom"] for r in probe), probe
    dovecot.append(MAILBOX, mail("<e2e-h1@example.fr>", "Conseiller", question))
    await asyncio.to_thread(smtp_sink.wait_for, 1, 60, "marie.e2e@example.fr")
    await settle(gw.app, quiet=1.0, extra=lambda: len(smtp_sink.messages))  # a second mail would be here now
    sent = [m["message"] for m in smtp_sink.messages]
    assert len(sent) == 1, [m.get_body(("plain",)).get_content()[:60] for m in sent]
    body = sent[0].get_body(("plain",)).get_content()
    assert expected[0]["text"].strip()[:80] in body  # the bot's handoff text ...
    assert "dans la file d'attente" in body  # ... and the queue notice, in the same mail
    assert gw.rows("SELECT state FROM conversations")[0]["state"] == "pending"
