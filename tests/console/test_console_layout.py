"""The console in real Chromium on a phone (390x844) and a desktop (1280x800).

Layout is measured, not eyeballed: nothing is wider than the viewport and every visible action
button's bounding box lies inside it, in each view (queue, conversation, details). Keyboard: the
actions are reached with Tab alone; "/" in the composer opens the canned responses. A new waiting
customer shows a count in the tab title and a browser notification; the sound is off until the
agent turns it on. Screenshots go to $AGENT_SCREENSHOTS (default: the test's tmp dir).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors import store
from connectors.console import canned

from .conftest import PASSWORD, make_agent, make_pending

pytestmark = [pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}

# Observe notifications and sound: Chromium headless shows neither, so record what the page asks for.
RECORDER = """
window.__notes = []; window.__beeps = 0;
window.Notification = class { constructor(title, opts) { window.__notes.push({title, body: opts && opts.body}); }
  close() {} static get permission() { return "granted"; } static requestPermission() { return Promise.resolve("granted"); } };
window.AudioContext = class { constructor() { this.currentTime = 0; this.destination = {}; }
  createGain() { return { gain: {}, connect() {} }; }
  createOscillator() { return { frequency: {}, connect() {}, start() { window.__beeps++; }, stop() {} }; } };
"""

LAYOUT = """() => {
  const W = window.innerWidth;
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden"; };
  const modal = document.querySelector("dialog[open]");
  const buttons = [...(modal || document).querySelectorAll("button")].filter(visible)
    .filter((b) => !b.closest("dialog:not([open])"));
  // cut off sideways by a scrolling/clipping ancestor (a table in a scroll box, say)?
  const clipped = (b) => { const r = b.getBoundingClientRect();
    for (let a = b.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === "visible" && s.overflowY === "visible") continue;
      const p = a.getBoundingClientRect();
      if (r.left < p.left - 0.5 || r.right > p.right + 0.5) return true;
    }
    return false; };
  const outside = buttons.filter((b) => { const r = b.getBoundingClientRect();
    return r.left < -0.5 || r.right > W + 0.5 || r.top < -0.5 || r.bottom > window.innerHeight + 0.5 || clipped(b); })
    .map((b) => b.id || b.textContent.trim());
  const wide = [...document.querySelectorAll("body *")].filter(visible)
    .filter((e) => e.getBoundingClientRect().right > W + 0.5 && !e.closest(".transcript, .canned-table-wrap"))
    .map((e) => e.id || e.className || e.tagName);
  return {scrollWidth: document.documentElement.scrollWidth, width: W, outside, wide,
          buttons: buttons.map((b) => b.id || b.textContent.trim())};
}"""


async def check_layout(page, shots: Path, name: str) -> dict:
    await page.screenshot(path=str(shots / f"{name}.png"))
    got = await page.evaluate(LAYOUT)
    assert got["scrollWidth"] <= got["width"], f"{name}: page wider than the viewport: {got}"
    assert got["outside"] == [], f"{name}: buttons outside the viewport: {got['outside']}"
    assert got["wide"] == [], f"{name}: elements wider than the viewport: {got['wide']}"
    return got


async def tab_until(page, selector: str, limit: int = 40) -> list[str]:
    """Press Tab until `selector` has the focus; return the ids passed. Fails if never reached."""
    seen = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return seen
        seen.append(await page.evaluate("document.activeElement.id || document.activeElement.className"))
    raise AssertionError(f"{selector} not reachable with Tab; focus went through {seen}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-390x844", "desktop-1280x800"])
async def test_console_layout_keyboard_canned_and_alerts(gateway, tmp_path, viewport):
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=10_000)
    phone = viewport is PHONE
    db = gateway.db
    admin = make_agent(db, "boss@shop.be", role="admin", name="Bo Admin")
    canned.create(db, {"language": "nl", "shortcut": "levering", "title": "Levertijd",
                       "text": "Wij leveren binnen 2 werkdagen."}, admin["id"])
    canned.create(db, {"language": "fr", "shortcut": "livraison", "title": "Délai",
                       "text": "Nous livrons en 2 jours."}, admin["id"])
    first = make_pending(gateway.app, identity="visitor-a", text="Mijn pakket is nog niet aangekomen, " * 3)
    shots = Path(os.environ.get("AGENT_SCREENSHOTS", tmp_path)) / ("phone" if phone else "desktop")
    shots.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            ctx = await browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
            await ctx.add_init_script(RECORDER)
            page = await ctx.new_page()
            page.set_default_timeout(10_000)
            await page.goto(f"{gateway.url}/agent")
            await check_layout(page, shots, "00-login")
            await page.fill("#login-email", "boss@shop.be")
            await page.fill("#login-password", PASSWORD)
            await page.press("#login-password", "Enter")
            await expect(page.locator("#live-status")).to_have_text("live")
            item = page.locator("#queue .conv-item")
            await expect(item).to_have_count(1)
            await expect(page).to_have_title("(1) Helpdesk · Agent console")
            assert await page.evaluate("window.__notes.length") == 0  # the first load is not news
            await check_layout(page, shots, "01-queue")

            # keyboard only: Tab to the waiting conversation, Enter opens it
            await page.locator("#logout").focus()
            await tab_until(page, f'.conv-item[data-id="{first["id"]}"]')
            await page.keyboard.press("Enter")
            await expect(page.locator("#transcript")).to_contain_text("nog niet aangekomen")
            assert await page.evaluate("document.activeElement.id") == "conv-title"  # screen readers land here
            if phone:  # stacked views: the queue is gone, a back button is there
                await expect(page.locator("#sidebar")).to_be_hidden()
                await expect(page.locator("#btn-back")).to_be_visible()
            else:  # three columns side by side
                await expect(page.locator("#sidebar")).to_be_visible()
                await expect(page.locator("#details")).to_be_visible()
                await expect(page.locator("#btn-back")).to_be_hidden()
            got = await check_layout(page, shots, "02-conversation")
            assert {"btn-take", "btn-handback", "btn-close"} <= set(got["buttons"])
            for button in ("#btn-take", "#btn-handback", "#btn-close"):
                assert await page.get_attribute(button, "type") == "button"
            await tab_until(page, "#btn-take")
            await page.keyboard.press("Enter")
            await expect(page.locator("#conv-meta")).to_contain_text("with Bo Admin")
            await expect(page).to_have_title("Helpdesk · Agent console")  # nobody waits any more

            # "/" opens the canned responses of the conversation's shop and language (NL only here)
            await tab_until(page, "#reply-text")
            await page.keyboard.type("Hallo! /lev")
            menu = page.locator("#canned-menu")
            await expect(menu).to_be_visible()
            await expect(menu.locator("[role=option]")).to_have_count(1)
            await expect(menu).to_contain_text("/levering")
            assert await page.get_attribute("#reply-text", "aria-expanded") == "true"
            await check_layout(page, shots, "03-canned")
            await page.keyboard.press("Enter")
            await expect(menu).to_be_hidden()
            assert await page.input_value("#reply-text") == "Hallo! Wij leveren binnen 2 werkdagen."
            await page.keyboard.press("Control+Enter")
            await expect(page.locator("#transcript .msg.agent")).to_contain_text("Wij leveren binnen 2 werkdagen.")
            assert [m["text"] for m in store.list_messages(db, first["id"]) if m["author"] == "agent"] == \
                ["Hallo! Wij leveren binnen 2 werkdagen."]

            if phone:  # the details are a view of their own, with a way back; Escape steps back too
                await tab_until(page, "#btn-details")
                await page.keyboard.press("Enter")
                await expect(page.locator("#details")).to_be_visible()
                await expect(page.locator("#workspace")).to_be_hidden()
                await check_layout(page, shots, "04-details")
                await page.keyboard.press("Escape")
                await expect(page.locator("#workspace")).to_be_visible()
                await page.locator("#btn-back").focus()
                await page.keyboard.press("Enter")
                await expect(page.locator("#sidebar")).to_be_visible()
                await expect(page.locator("#mine .conv-item")).to_have_count(1)

            # a new waiting customer: tab title count and a notification; no sound (off by default)
            second = make_pending(gateway.app, identity="visitor-b", text="hallo?")
            from connectors import bus

            bus.publish(gateway.app, "conversation", store.require_conversation(db, second["id"]))
            await expect(page).to_have_title("(1) Helpdesk · Agent console")
            await page.wait_for_function("window.__notes.length === 1")
            assert (await page.evaluate("window.__notes[0].title")) == "A customer is waiting"
            assert await page.evaluate("window.__beeps") == 0
            # the agent turns the sound on (with the keyboard): the next one beeps
            await page.locator("#btn-sound").focus()
            await page.keyboard.press("Enter")
            assert await page.get_attribute("#btn-sound", "aria-pressed") == "true"
            beeps = await page.evaluate("window.__beeps")
            make_pending(gateway.app, identity="visitor-c", text="iemand daar?")
            await expect(page).to_have_title("(2) Helpdesk · Agent console")
            await page.wait_for_function(f"window.__beeps > {beeps} && window.__notes.length === 2")
            await check_layout(page, shots, "05-new-waiting")

            # admins manage canned responses in a dialog, with the keyboard too
            await page.locator("#btn-canned-admin").focus()
            await page.keyboard.press("Enter")
            await expect(page.locator("#canned-dialog")).to_be_visible()
            await expect(page.locator("#canned-rows tr")).to_have_count(2)
            await page.fill("#canned-shortcut", "retour")
            await page.fill("#canned-title", "Retour")
            await page.fill("#canned-text", "Retourneren kan binnen 30 dagen.")
            await page.locator("#canned-save").focus()
            await page.keyboard.press("Enter")
            await expect(page.locator("#canned-rows tr")).to_have_count(3)
            await check_layout(page, shots, "06-canned-admin")
            assert [c["shortcut"] for c in canned.list_for(db, "default", "nl")] == ["levering", "retour"]
        finally:
            await browser.close()
