"""Automatic mail gets nothing from us, and agents see whether the sender's domain vouched for a
mail (Authentication-Results): parsing units, then the real path (Dovecot, aiosmtpd, gateway, console API)."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, CookieJar

from channels_support import MAILBOX, email_settings
from channels_support import wait_until as support_wait_until
from connectors import flow, handoff, hours
from connectors.channels.email.parse import parse_mail
from connectors.console import accounts

from test_email_channel import customer_mail


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("ascii")


def mail(headers: str, from_addr: str = "marie@example.fr") -> bytes:
    return crlf(f"From: Marie <{from_addr}>\nTo: {MAILBOX}\nSubject: vraag\nMessage-ID: <m@example.fr>\n"
                f"{headers}\nWaar is mijn pakket?\n")


@pytest.mark.parametrize("headers", [
    "Return-Path: <>\n",                                   # a bounce
    "List-Unsubscribe: <mailto:unsub@news.example>\n",     # a newsletter
    "X-Auto-Response-Suppress: All\n",                     # Outlook: do not answer automatically
    "X-Loop: helpdesk@example.fr\n",
    "Precedence: list\n", "List-Id: <shop.lists.example>\n", "Auto-Submitted: auto-generated\n",
])
def test_automatic_mail_is_flagged(headers):
    assert parse_mail(mail(headers)).auto_generated


def test_a_normal_mail_is_not_flagged():
    assert not parse_mail(mail("Return-Path: <marie@example.fr>\n")).auto_generated


@pytest.mark.parametrize("results, verdict", [
    ("mx.shop.test; spf=pass smtp.mailfrom=example.fr; dkim=pass header.d=example.fr; dmarc=pass", "pass"),
    ("mx.shop.test; dkim=pass (good signature) header.d=mail.example.fr header.s=s1", "pass"),
    ("mx.shop.test; spf=pass smtp.mailfrom=bounces.example.fr", "pass"),
    ("mx.shop.test; spf=fail smtp.mailfrom=example.fr; dkim=none", "fail"),
    ("mx.shop.test; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=evil.example", "fail"),
    ("mx.shop.test; dmarc=fail (p=reject) header.from=example.fr", "fail"),
    ("mx.shop.test; none", "none"),
])
def test_sender_auth_verdicts(results, verdict):
    parsed = parse_mail(mail(f"Authentication-Results: {results}\n"))
    assert parsed.sender_auth["verdict"] == verdict, parsed.sender_auth
    assert parsed.sender_auth["domain"] == "example.fr"


def test_only_our_own_servers_header_is_believed():
    # The sender wrote their own "pass" below the one our server prepended.
    raw = mail("Authentication-Results: mx.shop.test; spf=fail smtp.mailfrom=example.fr\n"
               "Authentication-Results: mx.shop.test; dmarc=pass; dkim=pass header.d=example.fr\n")
    assert parse_mail(raw).sender_auth["verdict"] == "fail"
    forged_first = mail("Authentication-Results: forger.example; dmarc=pass\n"
                        "Authentication-Results: mx.shop.test; spf=fail smtp.mailfrom=example.fr\n")
    assert parse_mail(forged_first, authserv_id="mx.shop.test").sender_auth["verdict"] == "fail"
    assert parse_mail(mail("")).sender_auth["verdict"] == "none"


def wait_until(predicate, timeout: float = 15.0):
    return support_wait_until(predicate, timeout, 0.05)


@pytest.fixture
async def gw(make_gateway, dovecot, smtp_sink, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    gateway = await make_gateway(email_settings(dovecot, smtp_sink))
    gateway.app["business_hours"] = hours.parse("always")
    return gateway


async def test_automatic_mail_gets_no_message_at_all_not_even_a_queue_notice(gw, dovecot, smtp_sink):
    dovecot.append(MAILBOX, customer_mail("<ooo@example.fr>", "Absence", "Je suis absente jusqu'au 1er.",
                                          extra={"Auto-Submitted": "auto-replied"}))
    inbound = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    assert inbound[0]["text"]  # stored for the agents ...
    await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in' AND status='delivered'"))
    assert gw.rows("SELECT * FROM messages WHERE direction='out'") == []  # ... the bot never saw it
    # Even a notice from the system (queue position on escalation) is never mailed to a robot.
    conv_id = inbound[0]["conversation_id"]
    handoff.escalate(gw.app, conv_id, "asked", actor="system")
    notice = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='out' AND status='failed'"))
    assert notice and notice[0]["author"] == "system" and "automatic" in notice[0]["error"]
    assert smtp_sink.messages == []
    # A real customer's mail in another thread is still answered.
    dovecot.append(MAILBOX, customer_mail("<q9@example.fr>", "Commande", "Où est ma commande ?"))
    mails = await asyncio.to_thread(smtp_sink.wait_for, 1, 20, "marie@example.fr")
    assert len(mails) == 1 and mails[0]["In-Reply-To"] == "<q9@example.fr>"


async def test_console_shows_whether_the_sender_domain_passed(gw, dovecot):
    spoofed = {"Authentication-Results": "mx.shop.test; spf=fail smtp.mailfrom=shop-ceo.be; "
                                         "dkim=pass header.d=evil.example"}
    dovecot.append(MAILBOX, customer_mail("<ceo@shop-ceo.be>", "Urgent", "Send me the invoices",
                                          sender="CEO <ceo@shop-ceo.be>", extra=spoofed))
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    accounts.add(gw.app["db"], "ann@shop.be", "Ann", "correct horse battery", "admin")
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        async with http.post(f"{gw.url}/agent/api/login",
                             json={"email": "ann@shop.be", "password": "correct horse battery"}) as resp:
            assert resp.status == 200
        async with http.get(f"{gw.url}/agent/api/conversations/{rows[0]['conversation_id']}") as resp:
            body = await resp.json()
    assert body["sender_auth"]["verdict"] == "fail" and body["sender_auth"]["domain"] == "shop-ceo.be"
    assert body["sender_auth"]["spf"] == "fail" and body["sender_auth"]["dkim"] == "pass"
