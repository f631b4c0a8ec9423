"""Real Chromium drives the console against the real gateway + real Rasa + real action server.

One story, as the issue tells it: an agent logs in; a customer in the web widget (a second page)
asks for a human; the conversation appears live in the queue; the agent takes it and replies; the
widget shows the reply; the bot stays silent meanwhile (no turn reaches Rasa, no typing frame);
the agent hands back; the bot answers again. Screenshots land in $AGENT_SCREENSHOTS (default: the
test's tmp dir) so a person can look at the console.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from connectors import hours, store
from support.waiting import settle

from .conftest import PASSWORD, free_port, make_agent

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 30_000  # ms; Rasa turns take < 1 s, but the first one loads the model caches


@pytest.fixture
async def live_gateway(rasa_stack, tmp_path, monkeypatch):
    from connectors.app import create_app

    monkeypatch.setenv("ORDERS_DB", rasa_stack.orders_db)  # the console shows the order the bot found
    app = create_app({"HELPDESK_DB": str(tmp_path / "helpdesk.db"), "RASA_URL": rasa_stack.rasa_url,
                      "ACTIONS_URL": rasa_stack.actions_url})
    app["business_hours"] = hours.parse("always")
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield app, str(server.make_url("")).rstrip("/")
    await server.close()


def user_turns(rasa_stack, conversation_id: str) -> int:
    """How many customer messages Rasa has seen for this conversation (its tracker)."""
    try:
        return sum(1 for e in rasa_stack.tracker(conversation_id)["events"] if e["event"] == "user")
    except Exception:  # noqa: BLE001 - no tracker yet
        return 0


async def test_agent_takes_over_and_hands_back(live_gateway, rasa_stack, tmp_path):
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT)
    app, base = live_gateway
    make_agent(app["db"], "ann@shop.be", name="Ann Peeters")
    shots = Path(os.environ.get("AGENT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            agent_ctx = await browser.new_context(viewport={"width": 1400, "height": 860})
            customer_ctx = await browser.new_context(viewport={"width": 420, "height": 760})
            agent, customer = await agent_ctx.new_page(), await customer_ctx.new_page()
            agent.set_default_timeout(TIMEOUT)
            customer.set_default_timeout(TIMEOUT)

            # 1. log in
            await agent.goto(f"{base}/agent")
            await agent.fill("#login-email", "ann@shop.be")
            await agent.fill("#login-password", "wrong password")
            await agent.click("#login-submit")
            await expect(agent.locator("#login-error")).to_contain_text("Wrong email or password")
            await agent.screenshot(path=str(shots / "01-login.png"))
            await agent.fill("#login-password", PASSWORD)
            await agent.click("#login-submit")
            await expect(agent.locator("#agent-name")).to_have_text("Ann Peeters")
            await expect(agent.locator("#live-status")).to_have_text("live")
            await expect(agent.locator("#queue .conv-item")).to_have_count(0)

            # 2. the customer asks for a human in the widget; frames are recorded to prove silence later
            frames: list[dict] = []
            customer.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: frames.append(json.loads(payload))))
            await customer.goto(f"{base}/?lang=nl")
            await customer.click("#helpdesk-widget .launcher")
            # first the bot finds an order (so the console has something to show), then: a human please
            for text in ("waar is mijn bestelling?", "10000002", "an.devos@example.be"):
                bot_rows = await customer.locator("#helpdesk-widget .row[data-from=bot]").count()
                await customer.fill("#helpdesk-widget textarea", text)
                await customer.press("#helpdesk-widget textarea", "Enter")
                await expect(customer.locator("#helpdesk-widget .row[data-from=bot]")).to_have_count(bot_rows + 1)
            await expect(customer.locator("#helpdesk-widget .row[data-from=bot]").last).to_contain_text("10000002")
            await customer.fill("#helpdesk-widget textarea", "ik wil een medewerker spreken")
            await customer.press("#helpdesk-widget textarea", "Enter")
            await expect(customer.locator("#helpdesk-widget .row[data-from=bot]").filter(
                has_text="nummer 1 in de wachtrij")).to_have_count(1)

            # 3. it appears live in the queue (no reload)
            item = agent.locator("#queue .conv-item")
            await expect(item).to_have_count(1)
            await expect(item).to_contain_text("asked for a person")
            await expect(item).to_contain_text("Web chat")
            conv_id = await item.get_attribute("data-id")
            assert store.require_conversation(app["db"], conv_id)["state"] == "pending"
            turns_at_handoff = user_turns(rasa_stack, conv_id)
            assert turns_at_handoff == 4

            # while waiting, the customer's messages reach the queue, not the bot
            typing_while_pending = sum(1 for f in frames if f.get("type") == "typing")
            await customer.fill("#helpdesk-widget textarea", "hallo, is daar iemand?")
            await customer.press("#helpdesk-widget textarea", "Enter")
            await expect(item).to_contain_text("hallo, is daar iemand?")
            await agent.screenshot(path=str(shots / "01b-queue.png"))
            assert user_turns(rasa_stack, conv_id) == turns_at_handoff
            assert sum(1 for f in frames if f.get("type") == "typing") == typing_while_pending

            # 4. take it; the transcript shows the customer's words
            await item.click()
            await expect(agent.locator("#transcript")).to_contain_text("ik wil een medewerker spreken")
            # what the bot collected, read from Rasa's tracker, and the order it found, from the orders store
            await expect(agent.locator("#collected")).to_contain_text("an.devos@example.be")
            await expect(agent.locator("#collected")).to_contain_text("10000002")
            await expect(agent.locator("#order")).to_contain_text("shipped")
            await expect(agent.locator("#order")).to_contain_text("323299999000001")
            await agent.click("#btn-take")
            await expect(agent.locator("#conv-meta")).to_contain_text("with Ann Peeters")
            await expect(agent.locator("#mine .conv-item")).to_have_count(1)
            await expect(agent.locator("#queue .conv-item")).to_have_count(0)
            await expect(customer.locator("#helpdesk-widget .row[data-from=bot]").filter(
                has_text="Ann Peeters neemt het gesprek over")).to_have_count(1)

            # 5. the customer writes while an agent has the conversation: the bot stays silent
            typing_before = sum(1 for f in frames if f.get("type") == "typing")
            bot_rows_before = await customer.locator("#helpdesk-widget .row[data-from=bot]").count()
            await customer.fill("#helpdesk-widget textarea", "hoe kan ik mijn factuur downloaden?")
            await customer.press("#helpdesk-widget textarea", "Enter")
            await expect(agent.locator("#transcript")).to_contain_text("factuur downloaden")
            await expect(agent.locator("[data-testid=suggestion]").first).to_be_visible()
            assert await agent.locator("[data-testid=suggestion]").count() <= 3

            # 6. reply, with one suggestion inserted in one click
            await agent.locator("[data-testid=suggestion] button").first.click()
            inserted = await agent.input_value("#reply-text")
            assert inserted.strip()
            await agent.fill("#reply-text", "Hallo, ik ben Ann. " + inserted)
            await agent.screenshot(path=str(shots / "02-console-reply.png"))
            await agent.click("#btn-send")
            agent_row = customer.locator("#helpdesk-widget .row[data-from=agent]")
            await expect(agent_row).to_have_count(1)
            await expect(agent_row).to_contain_text("Hallo, ik ben Ann.")
            await expect(agent.locator("#transcript .msg.agent")).to_have_count(1)

            # an internal note stays inside
            await agent.click("#tab-note")
            await agent.fill("#reply-text", "Klant wacht op factuur 123")
            await agent.click("#btn-send")
            await expect(agent.locator("#transcript .msg.note")).to_contain_text("Klant wacht op factuur 123")
            await customer.screenshot(path=str(shots / "03-widget-agent-reply.png"))
            await agent.screenshot(path=str(shots / "04-console-note.png"))
            assert "Klant wacht" not in await customer.locator("#helpdesk-widget").inner_text()

            await settle(app, quiet=1.0)  # a (wrong) bot turn would be stored by now
            assert user_turns(rasa_stack, conv_id) == turns_at_handoff, "a message reached Rasa during handoff"
            assert sum(1 for f in frames if f.get("type") == "typing") == typing_before, "bot typing shown"
            assert await customer.locator("#helpdesk-widget .row[data-from=bot]").count() == bot_rows_before

            # 7. hand back: Rasa's slots reset, the bot answers the next message again
            await agent.click("#btn-handback")
            await expect(agent.locator("#conv-meta")).to_contain_text("with the bot")
            slots = rasa_stack.slots(conv_id)
            assert slots.get("handoff") is None
            assert not slots.get("faq_misses") and not slots.get("failed_lookups")
            await expect(customer.locator("#helpdesk-widget .row[data-from=bot]").filter(
                has_text="digitale assistent")).to_have_count(1)
            bot_rows = await customer.locator("#helpdesk-widget .row[data-from=bot]").count()
            await customer.fill("#helpdesk-widget textarea", "hoe kan ik mijn factuur downloaden?")
            await customer.press("#helpdesk-widget textarea", "Enter")
            # the bot answers again (an FAQ answer may come as one bubble per paragraph)
            await expect(customer.locator("#helpdesk-widget .row[data-from=bot]").nth(bot_rows)).to_be_visible()
            assert user_turns(rasa_stack, conv_id) == turns_at_handoff + 1
            assert store.require_conversation(app["db"], conv_id)["state"] == "bot"
            await customer.screenshot(path=str(shots / "05-widget-bot-again.png"))
            await expect(agent.locator("#events")).to_contain_text("Handed back to bot by Ann Peeters")
            await agent.screenshot(path=str(shots / "06-console-handed-back.png"))

            events = [(e["type"], e["actor"]) for e in store.list_events(app["db"], conv_id)]
            ann_id = store._row(app["db"], "SELECT id FROM agents WHERE email='ann@shop.be'")["id"]
            assert ("handoff", "bot") in events
            assert ("taken", f"agent:{ann_id}") in events
            assert ("handed_back", f"agent:{ann_id}") in events
            assert ("rasa_reset_failed", "system") not in events
        finally:
            await browser.close()
