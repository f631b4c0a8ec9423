"""Real Chromium: an agent sends a WhatsApp template after the 24-hour window, sees the customer's
image inline and each message's delivery status, on a phone-sized screen.

The gateway, the twilio client and the Twilio stand-in are real; the stand-in checks the Content
API form (ContentSid + ContentVariables).
"""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from channels_support import AUTH_TOKEN, WA_FROM, wait_until, whatsapp_settings
from connectors import handoff, store
from connectors.console import accounts

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CUSTOMER = "+32470555666"
PASSWORD = "correct horse battery"


def tiny_png(width: int = 8, height: int = 6) -> bytes:
    """A real PNG (so the browser decodes it) of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


async def test_template_image_and_status_in_the_console_on_a_phone(make_gateway, twilio, tmp_path):
    import json

    import aiohttp
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=10_000)
    twilio.reset()
    sid = twilio.approve_template(variables=1)
    gw = await make_gateway(dict(whatsapp_settings(twilio), MEDIA_DIR=str(tmp_path / "media"),
                                 TWILIO_TEMPLATES=json.dumps([{"name": "nog_vragen", "language": "nl",
                                                               "content_sid": sid, "variables": ["naam"]}])))
    db = gw.app["db"]
    accounts.add(db, "ann@shop.test", "Ann", PASSWORD, "agent")
    # the customer sends a photo (downloaded from the stand-in with basic auth)
    url = gw.url + "/webhooks/whatsapp"
    data = {"From": f"whatsapp:{CUSTOMER}", "To": WA_FROM, "MessageSid": "MM_photo", "NumMedia": "1",
            "Body": "Kijk, de doos is kapot", "MediaUrl0": twilio.add_media(tiny_png(), "image/png"),
            "MediaContentType0": "image/png"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers={
                "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, data)}) as r:
            assert r.status == 200
    conv = store.list_conversations(db)[0]
    handoff.escalate(gw.app, conv["id"], "asked")
    shots = Path(os.environ.get("AGENT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = await (await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)).new_page()
            page.set_default_timeout(10_000)
            await page.goto(f"{gw.url}/agent")
            await page.fill("#login-email", "ann@shop.test")
            await page.fill("#login-password", PASSWORD)
            await page.press("#login-password", "Enter")
            await page.locator("#queue .conv-item").first.press("Enter")
            image = page.locator("#transcript .attachment img")
            await expect(image).to_have_count(1)
            await page.wait_for_function("document.querySelector('#transcript .attachment img').naturalWidth === 8")
            await page.click("#btn-take")
            await expect(page.locator("#conv-meta")).to_contain_text("with Ann")
            # inside the window: free text; the status callbacks move it to "delivered"
            await page.fill("#reply-text", "Sorry! We sturen een nieuwe.")
            await page.click("#btn-send")
            status = page.locator("#transcript .msg.agent [data-testid=status]")
            await expect(status).to_have_text("delivered")
            # the window closes: no free text any more, the template form instead
            old = "2026-01-01T10:00:00.000+00:00"
            store.update_conversation(db, conv["id"], last_customer_message_at=old)
            await page.reload()
            await page.locator("#queue .conv-item, #mine .conv-item").first.press("Enter")
            form = page.locator("#template-form")
            await expect(form).to_be_visible()
            await expect(page.locator("#conv-banner")).to_contain_text("24-hour")
            await expect(page.locator("#btn-send")).to_be_disabled()
            await expect(page.locator("#template-select option")).to_have_text(["nog_vragen (NL)"])
            await page.get_by_label("{{1}} naam").fill("Jan")
            await page.screenshot(path=str(shots / "whatsapp-template-phone.png"))
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390
            box = await page.locator("#btn-template").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
            await page.locator("#btn-template").press("Enter")
            template_sends = await wait_until(lambda: [m for m in list(twilio.messages) if m["content_sid"]],
                                              what="a template at the stand-in")
            assert [(m["content_sid"], m["content_variables"]) for m in template_sends] == [(sid, {"1": "Jan"})]
            await expect(page.locator("#transcript .msg.agent").last).to_contain_text("template nog_vragen")
            await expect(page.locator("#transcript .msg.agent [data-testid=status]").last).to_have_text("delivered")
        finally:
            await browser.close()
