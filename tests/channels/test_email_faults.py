"""Hostile mail (issue 12): a crafted mail is stored with a `problems` note, marked seen, and the
mail after it is answered; hostile HTML is turned into text in linear time.

Real Dovecot (IMAP in) and aiosmtpd (SMTP out), the real gateway and SQLite file; Rasa is
unreachable, so the flow's own apology is the answer that travels back.
"""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from bench.hostile_html import PATTERNS, hostile
from channels_support import MAILBOX, email_settings, wait_until
from connectors import flow
from connectors.channels.email.parse import html_to_text, parse_mail

GOOD = "jan@example.be"


def nested_multiparts(depth: int) -> bytes:
    """A mail whose body is `depth` multiparts inside each other (the stdlib parser recurses per level)."""
    head = (b"From: Evil <evil@example.com>\r\nTo: support@shop.test\r\nSubject: nest\r\n"
            b"Message-ID: <nest@example.com>\r\nMIME-Version: 1.0\r\n")
    opens = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                     for i in range(depth))
    closes = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opens + b"Content-Type: text/plain\r\n\r\nhello" + closes


def good_mail() -> bytes:
    return (f"From: Jan <{GOOD}>\r\nTo: {MAILBOX}\r\nSubject: Levering\r\nMessage-ID: <good@example.be>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nWanneer wordt mijn bestelling geleverd?\r\n").encode()


def test_deeply_nested_mail_parses_without_raising():
    mail = parse_mail(nested_multiparts(3000))
    assert mail.message_id == "<nest@example.com>" and mail.from_addr == "evil@example.com"
    assert mail.subject == "nest" and any("multiparts" in p for p in mail.problems)


def test_moderately_nested_mail_is_still_read():
    mail = parse_mail(nested_multiparts(20))
    assert mail.text == "hello" and mail.problems == []


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_one_megabyte_of_hostile_html_is_linear(name):
    open_part, close_part = PATTERNS[name]
    doc = hostile(open_part, close_part, 1_000_000)
    start = time.perf_counter()
    html_to_text(doc)
    took = time.perf_counter() - start
    assert took < 3.0, f"{name}: {took:.2f} s for 1 MB (target < 1 s; this bound allows a busy machine)"


def test_stray_end_tags_keep_the_text():
    assert html_to_text("<div>Hallo" + "</i>" * 1000 + " <b>wereld</b></div>") == "Hallo wereld"
    assert html_to_text('<div>Vraag<div class="gmail_quote">oud</div></div>') == "Vraag"


@pytest.fixture
async def gw(make_gateway, dovecot, smtp_sink, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    return await make_gateway(email_settings(dovecot, smtp_sink))


@pytest.mark.slow
async def test_crafted_mail_is_stored_marked_seen_and_the_next_mail_answered(gw, dovecot, smtp_sink):
    dovecot.append(MAILBOX, nested_multiparts(5000))
    dovecot.append(MAILBOX, good_mail())
    seen = await wait_until(lambda: (flags := dovecot.flags(MAILBOX)) and len(flags) == 2 and all(flags.values()),
                            timeout=20)
    assert seen, f"not both marked seen: {dovecot.flags(MAILBOX)}"
    rows = gw.rows("SELECT channel_message_id, text FROM messages WHERE direction='in' ORDER BY id")
    assert [r["channel_message_id"] for r in rows] == ["<nest@example.com>", "<good@example.be>"]
    events = {json.loads(e["data"])["message_id"]: json.loads(e["data"])
              for e in gw.rows("SELECT data FROM events WHERE type='email_in'")}
    assert any("multiparts" in p for p in events["<nest@example.com>"]["problems"])
    assert events["<good@example.be>"]["problems"] is None
    replies = await asyncio.to_thread(smtp_sink.wait_for, 1, 20, GOOD)
    assert replies and replies[0]["In-Reply-To"] == "<good@example.be>"
