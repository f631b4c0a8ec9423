"""Shops end to end with the real bot (issue 10): the gateway sends the conversation's shop to Rasa,
and two shops' widgets side by side in Chromium get each their own shop's answer to the same question.

Expected answers come from the FAQ files (each shop's own entry), not from hard-coded text.
"""
from __future__ import annotations

import pytest
import yaml

from helpdesk import wording
from helpdesk.paths import FAQ_DIR

from .conftest import frames_until, running_gateway

pytestmark = pytest.mark.slow

W = "#helpdesk-widget >> "
QUESTION = "waar vind ik mijn factuur?"
SHOP_ENTRIES = {"oscaro": "oscaro.invoices", "cats": "cats.invoices"}


def faq_answer(lang: str, entry_id: str) -> list[str]:
    """The entry's answer as the customer sees it: one chat bubble per paragraph."""
    entries = yaml.safe_load((FAQ_DIR / lang / f"{entry_id.split('.')[0]}.yml").read_text(encoding="utf-8"))
    answer = next(e["answer"] for e in entries if e["id"] == entry_id)
    return [p.strip() for p in answer.split("\n\n") if p.strip()]


@pytest.fixture
async def stack_gateway(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "helpdesk.db", RASA_URL=bot_stack.rasa_url,
                               ACTIONS_URL=bot_stack.actions_url) as gw:
        yield gw


async def _chat(gw, shop: str, text: str, replies: int) -> tuple[str, list[str]]:
    """Open `/ws/chat?shop=` and say `text`; return the conversation id and the bot's first texts."""
    async with gw.ws(f"?shop={shop}&lang=nl") as ws:
        session = await ws.receive_json(timeout=10)
        await ws.send_json({"type": "message", "text": text, "id": "q1"})
        got: list[str] = []

        def enough(frame: dict) -> bool:
            if frame.get("type") == "message" and frame.get("from") == "bot":
                got.append(frame["text"].strip())
            return len(got) >= replies

        await frames_until(ws, enough, timeout=60)
        return session["conversation_id"], got


async def test_gateway_sends_the_shop_to_rasa_and_gets_that_shops_answer(stack_gateway, bot_stack):
    for shop, entry in SHOP_ENTRIES.items():
        expected = faq_answer("nl", entry)
        conv_id, replies = await _chat(stack_gateway, shop, QUESTION, len(expected))
        tracker = bot_stack.tracker(conv_id)
        user = [e for e in tracker["events"] if e["event"] == "user"]
        assert user[-1]["metadata"]["shop"] == shop  # the gateway's metadata
        assert tracker["slots"]["shop"] == shop  # the bot's slot
        assert replies == expected, (shop, replies)


async def test_an_order_of_one_shop_is_not_found_from_another_shops_chat(stack_gateway, bot_stack):
    import sqlite3

    con = sqlite3.connect(bot_stack.orders_db)
    try:
        number, email, shop = con.execute("SELECT order_number, email, shop FROM orders ORDER BY order_number"
                                          " LIMIT 1").fetchone()
    finally:
        con.close()
    other = next(s for s in ("oscaro", "cats") if s != shop)
    results = {}
    for where in (shop, other):
        async with stack_gateway.ws(f"?shop={where}&lang=nl") as ws:
            await ws.receive_json(timeout=10)
            said = []
            for i, text in enumerate(("waar blijft mijn bestelling?", email, f"mijn bestelnummer is {number}")):
                await ws.send_json({"type": "message", "text": text, "id": f"m{i}"})
                frames = await frames_until(ws, lambda f: f.get("type") == "message" and f.get("from") == "bot",
                                            timeout=60)
                said += [f["text"] for f in frames if f.get("type") == "message"]
            results[where] = said
    assert any(number in t for t in results[shop]), results[shop]
    assert not any(number in t and "status" in t.lower() for t in results[other])
    assert any(t.startswith(wording.text("not_found", "nl")) for t in results[other]), results[other]


@pytest.mark.browser
async def test_two_shops_widgets_side_by_side_each_get_their_own_answer(stack_gateway):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        try:
            context = await browser.new_context(viewport={"width": 375, "height": 720})  # one browser, two tabs
            errors: list[str] = []
            pages = {}
            for shop in SHOP_ENTRIES:
                page = await context.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{stack_gateway.url}/?shop={shop}&lang=nl")
                await page.click(W + ".launcher")
                await page.wait_for_selector(W + ".panel.open")
                pages[shop] = page
            names = {s: (await pages[s].locator("header .shop-name").inner_text()) for s in pages}
            assert names == {"oscaro": "Oscaro", "cats": "CATS"}
            for page in pages.values():  # the same question in both, before either answer arrives
                await page.fill(W + "textarea", QUESTION)
                await page.keyboard.press("Enter")
            for shop, page in pages.items():
                expected = faq_answer("nl", SHOP_ENTRIES[shop])
                await page.wait_for_function(
                    """n => document.querySelector('#helpdesk-widget').shadowRoot
                           .querySelectorAll('.row.them:not(.welcome)').length >= n""",
                    arg=len(expected), timeout=60000)
                got = await page.locator(W + ".row.them:not(.welcome) .bubble").all_inner_texts()
                assert [t.strip() for t in got] == expected, (shop, got)
            answers = [faq_answer("nl", e) for e in SHOP_ENTRIES.values()]
            assert answers[0] != answers[1]
            tokens = await pages["oscaro"].evaluate(
                "[localStorage.getItem('helpdesk.token.oscaro'), localStorage.getItem('helpdesk.token.cats')]")
            assert all(tokens) and tokens[0] != tokens[1]  # two sessions, one per shop
            rows = stack_gateway.db.execute("SELECT shop FROM conversations ORDER BY shop").fetchall()
            assert rows == [("cats",), ("oscaro",)]
            assert not errors, errors
        finally:
            await browser.close()
