"""The widget in real headless Chromium against a real gateway, Rasa and action server."""
from __future__ import annotations

import pytest
import yaml

from helpdesk.paths import FAQ_DIR

from .conftest import running_gateway

pytestmark = [pytest.mark.slow, pytest.mark.browser]

W = "#helpdesk-widget >> "


def faq_answer(lang: str, entry_id: str) -> str:
    collection = entry_id.split(".")[0]
    entries = yaml.safe_load((FAQ_DIR / lang / f"{collection}.yml").read_text(encoding="utf-8"))
    return next(e["answer"] for e in entries if e["id"] == entry_id).strip()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        yield b
        await b.close()


@pytest.fixture
async def stack_gateway(bot_stack, tmp_path):
    async with running_gateway(tmp_path / "helpdesk.db", RASA_URL=bot_stack.rasa_url,
                               ACTIONS_URL=bot_stack.actions_url) as gw:
        yield gw


async def _ask(page, text: str) -> None:
    await page.fill(W + "textarea", text)
    await page.keyboard.press("Enter")


async def _bot_texts(page) -> list[str]:
    return await page.locator(W + ".row.them:not(.welcome) .bubble").all_inner_texts()


async def _wait_bot_count(page, n: int, timeout: float = 30000) -> list[str]:
    await page.wait_for_function(
        """n => document.querySelector('#helpdesk-widget').shadowRoot
               .querySelectorAll('.row.them:not(.welcome)').length >= n""",
        arg=n, timeout=timeout)
    return await _bot_texts(page)


@pytest.mark.parametrize("lang,question,entry", [
    ("nl", "waar kan ik de factuur van mijn mister auto bestelling downloaden", "mister-auto.invoice-download"),
    ("fr", "où puis-je télécharger la facture de ma commande mister auto", "mister-auto.invoice-download"),
])
async def test_question_gets_the_faq_answer_in_the_right_language(stack_gateway, browser, lang, question, entry):
    page = await browser.new_page(viewport={"width": 375, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{stack_gateway.url}/?lang={lang}")
    await page.click(W + ".launcher")
    await page.wait_for_selector(W + ".panel.open")
    await _ask(page, question)
    await page.wait_for_selector(W + ".row.me")  # the customer's bubble shows at once
    texts = await _wait_bot_count(page, 1)
    expected = faq_answer(lang, entry)
    first_line = expected.splitlines()[0][:60]
    assert any(first_line in t for t in texts), (texts, first_line)
    # The conversation's language was detected and stored.
    conv = stack_gateway.db.execute("SELECT language FROM conversations").fetchall()
    assert (lang,) in conv
    # A reload resumes the same conversation with its history (token in localStorage).
    token = await page.evaluate("localStorage.getItem('helpdesk.token.mister-auto')")
    assert token
    await page.reload()
    await page.click(W + ".launcher")
    await page.wait_for_selector(W + ".row.me")
    assert question in " ".join(await page.locator(W + ".row.me .bubble").all_inner_texts())
    assert any(first_line in t for t in await _bot_texts(page))
    assert await page.evaluate("localStorage.getItem('helpdesk.token.mister-auto')") == token
    assert not errors, errors
    await page.close()


def _demo_order(orders_db: str) -> dict:
    import sqlite3

    con = sqlite3.connect(orders_db)
    con.row_factory = sqlite3.Row
    try:
        row = con.execute("SELECT * FROM orders WHERE tracking_number IS NOT NULL AND tracking_number != ''"
                          " ORDER BY order_number LIMIT 1").fetchone()
    finally:
        con.close()
    assert row is not None, "the stack's ORDERS_DB has demo orders"
    return dict(row)


async def test_order_lookup_in_the_widget(stack_gateway, bot_stack, browser):
    order = _demo_order(bot_stack.orders_db)
    page = await browser.new_page(viewport={"width": 375, "height": 720})
    await page.goto(f"{stack_gateway.url}/?lang=nl")
    await page.click(W + ".launcher")
    await _ask(page, "Waar blijft mijn bestelling? Ik wil de status weten")
    seen = 1
    texts = await _wait_bot_count(page, seen)
    for _ in range(5):  # answer what the bot asks for, like a customer would
        last = texts[-1].lower()
        if order["tracking_number"] in " ".join(texts) or order["order_number"] in last and "status" in last:
            break
        if "e-mail" in last or "mail" in last:
            await _ask(page, order["email"])
        elif "bestelnummer" in last or "nummer" in last:
            await _ask(page, order["order_number"])
        else:
            pytest.fail(f"unexpected bot question: {texts[-1]}")
        seen = len(texts) + 1
        texts = await _wait_bot_count(page, seen)
    joined = " ".join(texts)
    assert order["order_number"] in joined and order["tracking_number"] in joined, texts
    await page.close()


async def test_button_frame_reaches_the_bot_and_the_reply_follows_the_language(stack_gateway):
    """Over the raw WebSocket: a button payload goes to Rasa as is; the answer is in French."""
    from .conftest import frames_until

    ws = await stack_gateway.http.ws_connect(f"{stack_gateway.url}/ws/chat?lang=fr")
    session = await ws.receive_json(timeout=10)
    assert session["type"] == "session"
    await ws.send_json({"type": "message", "text": "Bonjour, j'ai une question sur ma commande"})
    await frames_until(ws, lambda f: f.get("type") == "message")
    await ws.send_json({"type": "button", "payload": "/greet"})
    frames = await frames_until(ws, lambda f: f.get("type") == "message")
    assert {"type": "typing", "on": True} in frames
    reply = frames[-1]
    assert reply["from"] == "bot" and set(reply) >= {"type", "from", "text", "buttons"}
    from faq.language import detect

    assert detect(reply["text"])[0] == "fr", reply["text"]
    stored = stack_gateway.db.execute(
        "SELECT text FROM messages WHERE conversation_id=? AND direction='in' ORDER BY id",
        (session["conversation_id"],)).fetchall()
    assert stored[-1] == ("/greet",)
    await ws.close()
