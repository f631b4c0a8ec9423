"""Email channel on real servers: Dovecot IMAP in, aiosmtpd SMTP out, the real gateway and SQLite file.

Bot answers need Rasa (see test_channels_e2e.py); here Rasa is unreachable, so the flow's own
"technical problem" reply (or an agent's message) is what travels back, through the real SMTP path.
"""
from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiohttp
import pytest

from channels_support import wait_until as support_wait_until
from channels_support import MAILBOX, email_settings, free_port, settle
from connectors import flow, outbox
from connectors.channels.email import adapter as email_channel
from connectors.channels.email import smtp as email_smtp

CUSTOMER = "marie@example.fr"


def customer_mail(msg_id: str, subject: str, body: str, *, sender: str = f"Marie Dubois <{CUSTOMER}>",
                  in_reply_to: str | None = None, references: str | None = None,
                  charset: str = "utf-8", extra: dict | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Message-ID"] = msg_id
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0100"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for k, v in (extra or {}).items():
        msg[k] = v
    msg.set_content(body, charset=charset)
    return msg.as_bytes()


def plain(msg) -> str:
    """The text/plain part of one of our (multipart/alternative) replies."""
    return msg.get_body(("plain",)).get_content()


def wait_until(predicate, timeout: float = 15.0):
    return support_wait_until(predicate, timeout, 0.05)


@pytest.fixture
async def gw(make_gateway, dovecot, smtp_sink, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    return await make_gateway(email_settings(dovecot, smtp_sink))


async def test_mail_in_is_stored_marked_seen_and_answered_in_the_thread(gw, dovecot, smtp_sink):
    dovecot.append(MAILBOX, customer_mail(
        "<q1@example.fr>", "Ma commande 4711",
        "Bonjour,\nOù est ma commande 4711 ?\n\nCordialement,\nMarie\n\n"
        "Le lun. 23 nov. 2026 à 09:00, Shop <support@shop.test> a écrit :\n> ancien message\n",
        charset="iso-8859-1"))
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    assert [r["text"] for r in rows] == ["Bonjour,\nOù est ma commande 4711 ?"]
    assert rows[0]["channel_message_id"] == "<q1@example.fr>"
    conv = gw.rows("SELECT * FROM conversations")[0]
    assert conv["channel"] == "email" and conv["thread_key"] == "<q1@example.fr>"
    assert await wait_until(lambda: dovecot.flags(MAILBOX).get("<q1@example.fr>"))
    # Rasa is down here: the flow's apology goes out by SMTP, threaded under the customer's mail
    mails = await asyncio.to_thread(smtp_sink.wait_for, 1, 20, CUSTOMER)
    assert len(mails) == 1
    reply = mails[0]
    assert reply["Subject"] == "Re: Ma commande 4711"
    assert reply["In-Reply-To"] == "<q1@example.fr>"
    assert reply["References"].split() == ["<q1@example.fr>"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply.get_content_type() == "multipart/alternative"
    assert reply.get_body(("plain",)).get_content_charset() == "utf-8"
    assert "Désolé" in plain(reply) and "Cordialement" in plain(reply)
    out = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='out' AND status='sent'"))
    assert out[0]["channel_message_id"] == reply["Message-ID"]
    # the Message-ID comes from the outbox row: a resend after a crash carries the same one
    assert reply["Message-ID"] == email_smtp.new_message_id(conv["id"], "support@shop.test", out[0]["id"])
    assert smtp_sink.messages[0]["authenticated"]  # logged in with SMTP_USER


async def test_second_mail_and_reply_to_our_mail_stay_in_one_conversation(gw, dovecot, smtp_sink):
    dovecot.append(MAILBOX, customer_mail("<t1@example.fr>", "Facture", "Je cherche ma facture."))
    first = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    conv_id = first[0]["conversation_id"]
    # an agent answers; the customer's client only quotes our Message-ID (References trimmed)
    outbox.enqueue(gw.app, conv_id, "Voici votre facture.", author="agent")
    ours = await asyncio.to_thread(smtp_sink.wait_for, 1, 20, CUSTOMER)
    our_id = [m for m in ours if "Voici" in plain(m)][0]["Message-ID"]
    assert email_smtp.conversation_of(our_id) == conv_id
    dovecot.append(MAILBOX, customer_mail("<t2@example.fr>", "Re: Facture", "Merci, et le bon de livraison ?",
                                          in_reply_to=our_id, references=our_id))
    # a third mail in the thread with the full References chain
    dovecot.append(MAILBOX, customer_mail("<t3@example.fr>", "Re: Facture", "Toujours rien.",
                                          in_reply_to="<t2@example.fr>",
                                          references=f"<t1@example.fr> {our_id} <t2@example.fr>"))
    rows = await wait_until(lambda: len(gw.rows("SELECT * FROM messages WHERE direction='in'")) == 3
                            and gw.rows("SELECT * FROM messages WHERE direction='in'"))
    assert rows and {r["conversation_id"] for r in rows} == {conv_id}
    assert len(gw.rows("SELECT * FROM conversations")) == 1
    # a new subject from the same customer without thread headers is a new conversation
    dovecot.append(MAILBOX, customer_mail("<n1@example.fr>", "Autre question", "Livrez-vous en Belgique ?"))
    await wait_until(lambda: len(gw.rows("SELECT * FROM conversations")) == 2)
    assert len(gw.rows("SELECT * FROM conversations")) == 2


async def test_same_mail_twice_is_stored_once(gw, dovecot):
    raw = customer_mail("<dup@example.fr>", "Doublon", "Une seule fois svp.")
    dovecot.append(MAILBOX, raw)
    await wait_until(lambda: dovecot.flags(MAILBOX).get("<dup@example.fr>"))
    dovecot.append(MAILBOX, raw)  # e.g. delivered twice, or a crash before marking seen
    await wait_until(lambda: all(dovecot.flags(MAILBOX).values()) and len(dovecot.flags(MAILBOX)) == 1)
    await settle(gw.app)
    assert len(gw.rows("SELECT * FROM messages WHERE direction='in'")) == 1
    assert gw.app["channel_stats"]["email"]["duplicates"] >= 1


async def test_unreadable_mail_is_stored_not_dropped(gw, dovecot):
    raw = (b"From: =?bogus?Q?x?= <weird@example.be>\r\nSubject: Caf\xe9\r\n"
           b"Content-Type: text/plain; charset=no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"!!!not base64 at all\xff\xfe\r\n")
    dovecot.append(MAILBOX, raw)
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    assert len(rows) == 1 and rows[0]["text"]
    contact = gw.rows("SELECT * FROM contacts")[0]
    assert contact["identity"] == "weird@example.be"
    events = gw.rows("SELECT * FROM events WHERE type='email_in'")
    assert events and "Café" in events[0]["data"]


async def test_auto_reply_is_stored_but_never_answered_by_the_bot(gw, dovecot, smtp_sink):
    dovecot.append(MAILBOX, customer_mail("<ooo@example.fr>", "Absence", "Je suis absente jusqu'au 1er.",
                                          extra={"Auto-Submitted": "auto-replied"}))
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in' AND status='delivered'"))
    assert rows  # stored and routed to nobody: not even the bot's apology is queued
    events = await wait_until(lambda: gw.rows("SELECT * FROM events WHERE type='not_answered'"))
    assert events
    assert gw.rows("SELECT * FROM messages WHERE direction='out'") == []
    assert smtp_sink.messages == []


async def test_smtp_refusals_map_to_retryable_or_not(gw, smtp_sink):
    cfg = gw.app["email"]["smtp"]
    msg = email_smtp.build_reply(from_addr=cfg.from_addr, to_addr=CUSTOMER, subject="x", text="y",
                                 message_id="<hd.x@shop.test>", in_reply_to=None, references=[], language="fr")
    smtp_sink.reject_rcpt_code = 451
    with pytest.raises(email_smtp.SmtpSendError) as info:
        email_smtp.send(cfg, msg)
    assert info.value.retryable
    smtp_sink.reject_rcpt_code = 550
    with pytest.raises(email_smtp.SmtpSendError) as info:
        email_smtp.send(cfg, msg)
    assert not info.value.retryable
    smtp_sink.reject_rcpt_code = 0
    bad_login = email_smtp.SmtpSettings(cfg.host, cfg.port, cfg.from_addr, "mailer", "wrong", starttls=False)
    with pytest.raises(email_smtp.SmtpSendError) as info:
        email_smtp.send(bad_login, msg)
    assert not info.value.retryable
    down = email_smtp.SmtpSettings("127.0.0.1", 9, cfg.from_addr, starttls=False)
    with pytest.raises(email_smtp.SmtpSendError) as info:
        email_smtp.send(down, msg)
    assert info.value.retryable
    assert smtp_sink.messages == []


def test_reply_headers_and_subject_rules():
    msg = email_smtp.build_reply(from_addr="Shop <support@shop.test>", to_addr="jan@example.be",
                                 subject="Re: Factuur", text="Hier is uw factuur — €12", language="nl",
                                 message_id=email_smtp.new_message_id("a" * 32, "support@shop.test"),
                                 in_reply_to="<c2@x>", references=["<root@x>", "<c2@x>", "<root@x>"])
    assert msg["Subject"] == "Re: Factuur"
    assert msg["References"] == "<root@x> <c2@x>" and msg["In-Reply-To"] == "<c2@x>"
    assert email_smtp.conversation_of(msg["Message-ID"]) == "a" * 32
    assert msg["Content-Language"] == "nl" and "€12" in plain(msg)
    assert email_smtp.reply_subject("Où est ma commande ?", "fr") == "Re: Où est ma commande ?"
    assert email_smtp.reply_subject("", "fr") == "Re: Votre question"
    assert email_smtp.conversation_of("<abc@example.fr>") is None
    again = email_smtp.new_message_id("a" * 32, "support@shop.test", 42)
    assert again == email_smtp.new_message_id("a" * 32, "Shop <support@shop.test>", 42)
    assert email_smtp.conversation_of(again) == "a" * 32
    assert again != email_smtp.new_message_id("a" * 32, "support@shop.test", 43)


async def test_missing_settings_switch_email_off(make_gateway, caplog):
    with caplog.at_level("INFO"):
        gw = await make_gateway({"IMAP_HOST": "127.0.0.1"})
    assert any("email off" in r.getMessage() and "SMTP_HOST" in r.getMessage() for r in caplog.records)
    from connectors.app import channel_report

    assert channel_report(gw.app)["email"] == {"on": False, "reason": "missing settings: IMAP_USER, IMAP_PASSWORD, SMTP_HOST, SMTP_FROM"}


async def test_imap_down_is_reported_not_fatal(make_gateway, dovecot, smtp_sink):
    settings = dict(email_settings(dovecot, smtp_sink), IMAP_PORT=str(free_port()))  # nothing listens
    gw = await make_gateway(settings)
    assert await wait_until(lambda: gw.app["email"]["stats"]["last_poll_error"], timeout=10)
    assert "IMAP" in email_channel.health(gw.app)["last_poll_error"]
    async with aiohttp.ClientSession() as http:  # the gateway itself keeps serving
        async with http.get(gw.url + "/healthz") as r:
            email_health = (await r.json())["channels"]["email"]
    assert email_health["on"] is True and "IMAP" in email_health["last_poll_error"]


def test_wrong_imap_password_is_a_clear_error(dovecot):
    from connectors.channels.email.imap import ImapError, ImapSettings, check

    with pytest.raises(ImapError, match="(?i)authentication"):
        check(ImapSettings("127.0.0.1", dovecot.port, MAILBOX, "wrong", "INBOX", use_ssl=False))


async def test_a_mail_that_failed_to_store_stays_unseen_and_is_stored_on_the_next_poll(gw, dovecot, monkeypatch):
    real_receive = email_channel.flow.receive
    calls = []

    async def flaky_receive(app, **kwargs):
        calls.append(kwargs["channel_message_id"])
        if len(calls) == 1:
            raise RuntimeError("database is locked")  # e.g. a crash between fetch and store
        return await real_receive(app, **kwargs)

    monkeypatch.setattr(email_channel.flow, "receive", flaky_receive)
    dovecot.append(MAILBOX, customer_mail("<retry@example.fr>", "Retour", "Je veux retourner un article."))
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    assert [r["channel_message_id"] for r in rows] == ["<retry@example.fr>"]
    assert calls[:2] == ["<retry@example.fr>", "<retry@example.fr>"]
    assert await wait_until(lambda: dovecot.flags(MAILBOX).get("<retry@example.fr>"))


async def test_huge_mail_is_fetched_partially_and_stored(gw, dovecot, monkeypatch):
    from connectors.channels.email import imap as email_imap

    monkeypatch.setattr(email_imap, "MAX_FETCH_BYTES", 200_000)
    body = "Mijn vraag staat bovenaan.\n" + ("bijlage-tekst " * 40_000)  # ~560 kB
    dovecot.append(MAILBOX, customer_mail("<huge@example.be>", "Groot", body, sender="jan@example.be"))
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    assert rows and rows[0]["text"].startswith("Mijn vraag staat bovenaan.")
    events = gw.rows("SELECT data FROM events WHERE type='email_in'")
    assert "truncated" in events[0]["data"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


async def test_one_bot_turn_is_one_multipart_email(gw, dovecot, smtp_sink):
    dovecot.append(MAILBOX, customer_mail("<turn@example.fr>", "Livraison", "Quand arrive mon colis ?"))
    await asyncio.to_thread(smtp_sink.wait_for, 1, 20, CUSTOMER)  # Rasa is down here: the apology
    conv_id = gw.rows("SELECT conversation_id FROM messages WHERE direction='in'")[0]["conversation_id"]
    before = len(smtp_sink.messages)
    # What Rasa answers for one turn: several texts, buttons, then the handoff signal.
    flow.deliver_bot_replies(gw.app, conv_id, [
        {"recipient_id": conv_id, "text": "Votre colis part aujourd'hui."},
        {"recipient_id": conv_id, "text": "Suivi : https://track.example/123 <b>&</b>",
         "buttons": [{"title": "Oui", "payload": "/affirm"}]},
        {"recipient_id": conv_id, "custom": {"handoff": {"reason": "asked"}}},
    ])
    mails = await asyncio.to_thread(smtp_sink.wait_for, before + 1, 20, CUSTOMER)
    out = await wait_until(lambda: len(gw.rows("SELECT * FROM messages WHERE direction='out' AND status='sent'")) == 2
                           and gw.rows("SELECT * FROM messages WHERE direction='out' AND status='sent'"))
    assert out and len(out) == 2  # the apology and ONE message for the whole turn
    assert "part aujourd'hui" in out[1]["text"] and "track.example" in out[1]["text"]
    reply = mails[before]
    assert reply.get_content_type() == "multipart/alternative"
    text = plain(reply)
    assert text.index("part aujourd'hui") < text.index("Suivi") < text.index("- Oui")
    assert "Désolé" not in text and len(out[1]["text"]) > len("Votre colis part aujourd'hui.") + 60  # + queue notice
    html = reply.get_body(("html",)).get_content()
    assert "<p>Votre colis part aujourd&#x27;hui.</p>" in html
    assert '<a href="https://track.example/123">' in html and "&lt;b&gt;&amp;&lt;/b&gt;" in html
    assert gw.rows("SELECT state FROM conversations")[0]["state"] == "pending"
    await settle(gw.app, extra=lambda: len(smtp_sink.messages))  # a second mail would be there now
    assert len(smtp_sink.messages) == before + 1


async def test_attachments_are_kept_and_served_to_logged_in_agents_only(make_gateway, dovecot, smtp_sink, tmp_path):
    from connectors.console import accounts

    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    media_dir = tmp_path / "media"
    gw = await make_gateway(dict(email_settings(dovecot, smtp_sink), MEDIA_DIR=str(media_dir)))
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = CUSTOMER, MAILBOX, "Photo du dégât"
    msg["Message-ID"] = "<att@example.fr>"
    msg.set_content("Voici la photo et la facture.")
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="dégât.png")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="facture.pdf")
    dovecot.append(MAILBOX, msg.as_bytes())
    rows = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE direction='in'"))
    import json

    media = json.loads(rows[0]["media"])
    assert [(m["filename"], m["content_type"], m["size"]) for m in media] == [
        ("dégât.png", "image/png", len(PNG)), ("facture.pdf", "application/pdf", len(PDF))]
    assert (media_dir / media[0]["file"]).read_bytes() == PNG
    assert "dégât" not in media[0]["file"]  # stored by content hash: no customer data in names
    accounts.add(gw.app["db"], "ann@shop.test", "Ann", "correct horse battery", "agent")
    async with aiohttp.ClientSession() as anon:
        async with anon.get(f"{gw.url}/agent/media/{media[0]['file']}") as r:
            assert r.status == 401
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{gw.url}/agent/api/login",
                             json={"email": "ann@shop.test", "password": "correct horse battery"}) as r:
            assert r.status == 200
        async with http.get(f"{gw.url}/agent/media/{media[0]['file']}") as r:
            assert r.status == 200 and await r.read() == PNG
            assert r.headers["Content-Type"] == "image/png" and "sandbox" in r.headers["Content-Security-Policy"]
        async with http.get(f"{gw.url}/agent/media/{media[1]['file']}") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "application/pdf"
        async with http.get(f"{gw.url}/agent/media/..%2Fhelpdesk-0.db") as r:
            assert r.status == 404
        conv_id = rows[0]["conversation_id"]
        async with http.get(f"{gw.url}/agent/api/conversations/{conv_id}") as r:
            shown = (await r.json())["messages"][0]["media"]
        assert [m["file"] for m in shown] == [m["file"] for m in media]
