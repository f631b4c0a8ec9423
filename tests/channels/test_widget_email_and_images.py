"""Web chat widget in real Chromium: outside business hours the customer leaves an email address and
the agent's reply goes out by email (aiosmtpd); an attached image is checked, kept and shown to the
agent; the launcher counts unread replies; sound is off until the customer turns it on.

Rasa is down here (nothing listens at RASA_URL): the handoff the bot would make is made with
connectors.handoff.escalate, the same call the flow uses for the bot's handoff signal.
"""
from __future__ import annotations

import asyncio
import json
import os
import struct
import zlib
from pathlib import Path

import aiohttp
import pytest

from channels_support import MAILBOX, email_settings, wait_until
from connectors import flow, handoff, hours, outbox, store
from connectors.console import accounts

pytestmark = [pytest.mark.browser]

W = "#helpdesk-widget >> "
CUSTOMER_EMAIL = "marie@example.fr"
RECORDER = """
window.__beeps = 0;
window.AudioContext = class { constructor() { this.currentTime = 0; this.destination = {}; }
  createGain() { return { gain: {}, connect() {} }; }
  createOscillator() { return { frequency: {}, connect() {}, start() { window.__beeps++; }, stop() {} }; } };
"""


def png(width: int = 12, height: int = 9) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x20\x80\xd0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
async def gw(make_gateway, dovecot, smtp_sink, tmp_path, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    dovecot.clear(MAILBOX)
    smtp_sink.reset()
    gateway = await make_gateway(dict(email_settings(dovecot, smtp_sink), MEDIA_DIR=str(tmp_path / "media"),
                                      WEBCHAT_MAX_IMAGE_BYTES=str(200_000)))
    gateway.app["business_hours"] = hours.Schedule(days={})  # nobody works: always outside hours
    return gateway


async def test_outside_hours_email_reply_image_unread_and_sound(gw, smtp_sink, tmp_path):
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=10_000)
    db = gw.app["db"]
    ann = accounts.add(db, "ann@shop.test", "Ann", "correct horse battery", "agent")
    good, fake = tmp_path / "kapot.png", tmp_path / "notes.png"
    good.write_bytes(png())
    fake.write_bytes(b"just some text pretending to be an image\n")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        try:
            ctx = await browser.new_context(viewport={"width": 390, "height": 844})
            await ctx.add_init_script(RECORDER)
            page = await ctx.new_page()
            page.set_default_timeout(10_000)
            await page.goto(f"{gw.url}/?lang=nl")
            launcher = page.locator(W + ".launcher")
            await launcher.focus()
            await page.keyboard.press("Enter")  # keyboard opens the chat
            await expect(page.locator(W + ".panel")).to_be_visible()
            await page.fill(W + "textarea", "ik wil een medewerker spreken")
            await page.keyboard.press("Enter")
            conv = (await wait_until(lambda: store.list_conversations(db), what="the web conversation"))[0]
            await expect(page.locator(W + ".row[data-from=bot]")).to_have_count(1)  # Rasa down: the apology

            # the bot hands off outside business hours: the widget offers to continue by email
            handoff.escalate(gw.app, conv["id"], "asked")
            offer = page.locator(W + ".offer")
            await expect(offer).to_be_visible()
            await expect(offer).to_contain_text("e-mailadres")
            shots = Path(os.environ.get("AGENT_SCREENSHOTS", tmp_path))
            shots.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(shots / "widget-offer-email-390.png"))
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            await page.locator(W + ".offer input").fill("not-an-address")
            await page.locator(W + ".offer input").press("Enter")
            await expect(page.locator(W + ".notice.err").filter(has_text="klopt niet")).to_have_count(1)
            assert store.require_conversation(db, conv["id"])["reply_email"] is None
            await page.locator(W + ".offer input").fill(CUSTOMER_EMAIL)
            await page.locator(W + ".offer input").press("Enter")
            await expect(page.locator(W + ".notice").last).to_contain_text(CUSTOMER_EMAIL)
            await expect(offer).to_have_count(0)
            assert store.require_conversation(db, conv["id"])["reply_email"] == CUSTOMER_EMAIL

            # an image: checked by magic bytes on the server, kept, shown to the agent
            await page.locator(W + ".file").set_input_files(str(fake))
            await expect(page.locator(W + ".notice.err").filter(has_text="PNG")).to_have_count(1)
            await page.locator(W + ".file").set_input_files(str(good))
            await expect(page.locator(W + ".row[data-stored='1'] img")).to_have_count(1)
            await page.screenshot(path=str(shots / "widget-image-390.png"))
            stored = await wait_until(lambda: [m for m in store.list_messages(db, conv["id"]) if m["media"]])
            assert len(stored) == 1 and stored[0]["media"][0]["content_type"] == "image/png"
            assert stored[0]["media"][0]["filename"] == "kapot.png"
            assert (tmp_path / "media" / stored[0]["media"][0]["file"]).read_bytes() == png()

            # the agent's reply goes out by email to that address (and shows live in the open chat)
            handoff.take(gw.app, conv["id"], ann)
            outbox.enqueue(gw.app, conv["id"], "Goedemorgen! We sturen een nieuwe doos.", author="agent",
                           agent_id=ann["id"])
            mails = await asyncio.to_thread(smtp_sink.wait_for, 1, 20, CUSTOMER_EMAIL)
            assert len(mails) == 1
            mail = mails[0]
            assert mail["To"] == CUSTOMER_EMAIL and mail["Subject"] == "Re: Uw vraag in de chat"
            assert "nieuwe doos" in mail.get_body(("plain",)).get_content()
            assert mail.get_body(("html",)) is not None
            sent = await wait_until(lambda: [m for m in store.list_messages(db, conv["id"])
                                             if m["author"] == "agent" and m["status"] == "sent"])
            assert sent[0]["channel_message_id"] == mail["Message-ID"]
            await expect(page.locator(W + ".row[data-from=agent]")).to_contain_text("nieuwe doos")

            # chat closed (Escape): replies count on the launcher, no sound (off by default)
            await page.locator(W + "textarea").focus()
            await page.keyboard.press("Escape")
            await expect(page.locator(W + ".panel")).to_be_hidden()
            assert await page.evaluate("document.querySelector('#helpdesk-widget').shadowRoot.activeElement.className") == "launcher"
            outbox.enqueue(gw.app, conv["id"], "Nog iets?", author="agent", agent_id=ann["id"])
            await expect(page.locator(W + ".badge")).to_have_text("1")
            assert "1" in await launcher.get_attribute("aria-label")
            assert await page.evaluate("window.__beeps") == 0
            second = await asyncio.to_thread(smtp_sink.wait_for, 2, 20, CUSTOMER_EMAIL)
            assert second[1]["In-Reply-To"] == mail["Message-ID"]  # our mails thread together
            # the customer turns the sound on: the next reply beeps
            await page.keyboard.press("Enter")  # focus is on the launcher
            await expect(page.locator(W + ".badge")).to_be_hidden()
            await page.locator(W + ".snd").click()
            assert await page.locator(W + ".snd").get_attribute("aria-pressed") == "true"
            await page.keyboard.press("Escape")
            beeps = await page.evaluate("window.__beeps")
            outbox.enqueue(gw.app, conv["id"], "Fijne dag!", author="agent", agent_id=ann["id"])
            await page.wait_for_function(f"window.__beeps > {beeps}")
            await expect(page.locator(W + ".badge")).to_have_text("1")
        finally:
            await browser.close()


async def test_upload_endpoint_limits(gw):
    db = gw.app["db"]
    token, token_hash = store.new_token()
    conv = flow.conversation_for(gw.app, "web", token_hash, token_hash=token_hash)
    url = gw.url + "/chat/upload"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=png(), headers={"Content-Type": "image/png"}) as r:
            assert r.status == 401
        async with http.post(url, data=b"GIF89a" + b"\x00" * 50,
                             headers={"Content-Type": "image/png", "X-Chat-Token": token}) as r:
            assert r.status == 415 and (await r.json())["error"] == "not_an_image"
        too_big = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200_000
        async with http.post(url, data=too_big, headers={"Content-Type": "image/png", "X-Chat-Token": token}) as r:
            assert r.status == 413
        assert [m for m in store.list_messages(db, conv["id"])] == []
        headers = {"Content-Type": "image/png", "X-Chat-Token": token, "X-Client-Id": "img-1",
                   "X-Filename": "d%C3%A9g%C3%A2t.png", "Origin": "https://shop.example"}
        for _ in range(2):  # a resend with the same client id is stored once
            async with http.post(url, data=png(), headers=headers) as r:
                assert r.status == 201 and r.headers["Access-Control-Allow-Origin"] == "*"
                body = await r.json()
        assert body["duplicate"] is True and body["media"]["filename"] == "dégât.png"
        async with http.options(url, headers={"Origin": "https://shop.example",
                                              "Access-Control-Request-Method": "POST"}) as r:
            assert r.status == 204 and "X-Chat-Token" in r.headers["Access-Control-Allow-Headers"]
    inbound = [m for m in store.list_messages(db, conv["id"]) if m["direction"] == "in"]
    assert len(inbound) == 1 and inbound[0]["media"][0]["kind"] == "image"
    history = json.loads(json.dumps(__import__("connectors.channels.web.adapter", fromlist=["x"]).history_frame(db, conv["id"])))
    assert history["messages"][0]["media"] == [{"filename": "dégât.png", "content_type": "image/png"}]


async def test_customer_answers_the_email_and_the_chat_conversation_continues(gw, dovecot, smtp_sink):
    from email.message import EmailMessage

    db = gw.app["db"]
    ann = accounts.add(db, "ann@shop.test", "Ann", "correct horse battery", "agent")
    token, token_hash = store.new_token()
    conv = flow.conversation_for(gw.app, "web", token_hash, language="nl", token_hash=token_hash)
    store.update_conversation(db, conv["id"], reply_email=CUSTOMER_EMAIL, last_customer_message_at=store.now())
    handoff.escalate(gw.app, conv["id"], "asked")
    handoff.take(gw.app, conv["id"], ann)
    outbox.enqueue(gw.app, conv["id"], "Welke maat zoekt u?", author="agent", agent_id=ann["id"])
    ours = (await asyncio.to_thread(smtp_sink.wait_for, 1, 20, CUSTOMER_EMAIL))[0]
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = f"Marie <{CUSTOMER_EMAIL}>", MAILBOX, "Re: Uw vraag in de chat"
    answer["Message-ID"], answer["In-Reply-To"], answer["References"] = "<a1@example.fr>", ours["Message-ID"], ours["Message-ID"]
    answer.set_content("Maat 42 graag.\n\nOp ma 7 dec. 2026 om 10:00 schreef Shop <support@shop.test>:\n> Welke maat zoekt u?\n")
    dovecot.append(MAILBOX, answer.as_bytes())
    dovecot.append(MAILBOX, answer.as_bytes())  # delivered twice: stored once
    inbound = await wait_until(lambda: [m for m in store.list_messages(db, conv["id"]) if m["direction"] == "in"])
    assert [m["text"] for m in inbound] == ["Maat 42 graag."]
    assert len(store.list_conversations(db)) == 1  # no new email conversation
    await wait_until(lambda: all(dovecot.flags(MAILBOX).values()) and len(dovecot.flags(MAILBOX)) == 1)
    from channels_support import settle

    await settle(gw.app)
    assert len([m for m in store.list_messages(db, conv["id"]) if m["direction"] == "in"]) == 1
    outbox.enqueue(gw.app, conv["id"], "Maat 42 is onderweg.", author="agent", agent_id=ann["id"])
    mails = await asyncio.to_thread(smtp_sink.wait_for, 2, 20, CUSTOMER_EMAIL)
    assert mails[1]["In-Reply-To"] == "<a1@example.fr>"
    assert mails[1]["References"].split() == [ours["Message-ID"], "<a1@example.fr>"]
