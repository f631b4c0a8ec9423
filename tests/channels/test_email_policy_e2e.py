"""Email, end to end with the real bot (issue 10): a question that gets a "did you mean" on the web
gets ONE email with the best answer in full and the next ones as "other answers that may help",
from the shop whose inbox it was written to."""
from __future__ import annotations

import asyncio
from email.message import EmailMessage

import pytest

from helpdesk import wording as texts
from actions.faq_answer import faq_entry
from channels_support import MAILBOX, email_settings, wait_until
from faq.service import search

pytestmark = pytest.mark.slow
CATS_INBOX = "service.client@cats.example"  # shops.yml: the cats shop's inbox


def mail(question: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Inkoop <inkoop.e2e@example.be>"
    msg["To"] = CATS_INBOX
    msg["Delivered-To"] = MAILBOX
    msg["Subject"] = "Vraag"
    msg["Message-ID"] = "<policy-1@example.be>"
    msg.set_content(question + "\n\nMet vriendelijke groeten,\nAn\n")
    return msg.as_bytes()


async def test_email_gets_one_full_answer_and_other_answers(make_gateway, dovecot, smtp_sink, rasa_stack):
    question = "mijn account"
    result = search(question, lang="nl", shop="cats")
    assert result["decision"] == "clarify", result  # the web would show buttons for this one
    ids = [r["id"] for r in result["results"]]
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    gw = await make_gateway(email_settings(dovecot, smtp_sink), rasa_url=rasa_stack.rasa_url)
    dovecot.append(MAILBOX, mail(question))
    [reply] = await asyncio.to_thread(smtp_sink.wait_for, 1, 60, "inkoop.e2e@example.be")
    body = reply.get_body(("plain",)).get_content().replace("\r\n", "\n")
    best = faq_entry(ids[0], "nl")["answer"].strip()
    assert best in body
    others_at = body.index(texts.text("faq_others", "nl"))
    assert body.index(best) < others_at
    for other in ids[1:]:
        assert faq_entry(other, "nl")["answer"].strip() in body[others_at:]
    # a turn's replies are stored together: once one is there, all are; it must be one message
    out = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='out'"), 10.0)
    assert len(out) == 1 and out[0]["author"] == "bot"
    conv = gw.rows("SELECT * FROM conversations")
    assert len(conv) == 1 and conv[0].get("shop") == "cats"
