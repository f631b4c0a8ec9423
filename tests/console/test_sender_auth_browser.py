"""Real Chromium: an agent sees in the conversation view that a mail's From domain did not vouch
for it (spoofed From), and that an automatic mail is not answered. Rasa is not needed here."""
from __future__ import annotations

import pytest

from connectors import handoff, store

from .conftest import PASSWORD, make_agent

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


def _email_conversation(app, sender: str, sender_auth: dict, auto: bool = False) -> dict:
    db = app["db"]
    contact = store.get_or_create_contact(db, "email", sender)
    conv = store.create_conversation(db, contact["id"], "email", language="nl", thread_key=f"<t@{sender}>")
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text="Stuur me alle facturen",
                            status="received")
    store.update_conversation(db, conv["id"], last_customer_message_at=msg["created_at"])
    store.add_event(db, conv["id"], "email_in", "customer", {"message_id": f"<t@{sender}>", "from": sender,
                                                            "auto_generated": auto, "sender_auth": sender_auth})
    return handoff.escalate(app, conv["id"], "asked")


async def test_conversation_view_shows_the_sender_check(gateway):
    from playwright.async_api import async_playwright, expect

    make_agent(gateway.db, "ann@shop.be", role="admin")
    _email_conversation(gateway.app, "ceo@shop-ceo.be",
                        {"verdict": "fail", "domain": "shop-ceo.be", "spf": "fail", "dkim": None, "dmarc": None})
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            page.set_default_timeout(15_000)
            await page.goto(f"{gateway.url}/agent")
            await page.fill("#login-email", "ann@shop.be")
            await page.fill("#login-password", PASSWORD)
            await page.click("#login-submit")
            await page.locator("#queue .conv-item").first.click()
            badge = page.locator('[data-testid="sender-auth"]')
            await expect(badge).to_contain_text("NOT verified")
            await expect(badge).to_contain_text("shop-ceo.be")
            assert "SPF fail" in (await badge.get_attribute("title"))
            _email_conversation(gateway.app, "noreply@news.example",
                                {"verdict": "pass", "domain": "news.example", "spf": "pass"}, auto=True)
            await expect(page.locator("#queue .conv-item")).to_have_count(2)
            await page.locator("#queue .conv-item").nth(1).click()
            await expect(badge).to_contain_text("verified sender (news.example)")
            await expect(page.locator("#conv-meta")).to_contain_text("automatic mail: not answered")
        finally:
            await browser.close()
