"""Web chat per shop (issue 10): `/ws/chat?shop=ID`, the demo page `/?shop=ID`, per-shop origins."""
from __future__ import annotations


import aiohttp
import pytest

from connectors import store

from .conftest import running_gateway

SHOPS = """
default_shop: alpha
shops:
  - id: alpha
    name: Alpha Parts
    default_language: nl
    widget_origins: ["https://alpha.example"]
  - id: beta
    name: Beta Vignettes
    languages: [fr, nl]
    default_language: fr
    widget_origins: ["https://beta.example"]
"""


@pytest.fixture
async def gw(tmp_path):
    path = tmp_path / "shops.yml"
    path.write_text(SHOPS, encoding="utf-8")
    async with running_gateway(tmp_path / "helpdesk.db", SHOPS_FILE=str(path)) as gw:
        yield gw


def counts(gw) -> dict[str, int]:
    return {t: gw.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("contacts", "conversations", "messages", "events")}


async def _session(gw, query: str, **headers):
    ws = await gw.http.ws_connect(f"{gw.url}/ws/chat{query}", headers=headers or None)
    session = await ws.receive_json(timeout=10)
    assert session["type"] == "session", session
    await ws.receive_json(timeout=10)  # history
    await ws.receive_json(timeout=10)  # state
    return ws, session


async def test_unknown_shop_gets_an_error_frame_and_nothing_is_stored(gw):
    before = counts(gw)
    ws = await gw.http.ws_connect(f"{gw.url}/ws/chat?shop=gamma")
    frame = await ws.receive_json(timeout=10)
    assert frame["type"] == "error" and frame["code"] == "unknown_shop" and "gamma" in frame["message"]
    closed = await ws.receive(timeout=10)
    assert closed.type == aiohttp.WSMsgType.CLOSE and ws.close_code == 4404
    assert counts(gw) == before == {"contacts": 0, "conversations": 0, "messages": 0, "events": 0}


async def _say(gw, ws, session, text: str, frame_id: str) -> dict:
    """Send one message; the conversation is stored with the first one. Returns its row."""
    await ws.send_json({"type": "message", "text": text, "id": frame_id})
    for _ in range(20):
        frame = await ws.receive_json(timeout=10)
        if frame == {"type": "ack", "id": frame_id}:
            break
    else:
        raise AssertionError("no ack")
    conv = store.get_conversation(gw.db, session["conversation_id"])
    assert conv is not None
    return conv


async def test_each_conversation_keeps_the_shop_it_started_with(gw):
    ws_a, a = await _session(gw, "?shop=alpha")
    ws_b, b = await _session(gw, "?shop=beta")
    ws_d, d = await _session(gw, "")  # no shop: the default shop
    # a bare number says nothing about the language, so the shop's default_language stays
    conv = {s["conversation_id"]: await _say(gw, ws, s, "4711", f"c-{i}")
            for i, (ws, s) in enumerate(((ws_a, a), (ws_b, b), (ws_d, d)))}
    assert [conv[s["conversation_id"]]["shop"] for s in (a, b, d)] == ["alpha", "beta", "alpha"]
    # a new conversation starts in its shop's default language
    assert [conv[s["conversation_id"]]["language"] for s in (a, b, d)] == ["nl", "fr", "nl"]
    msgs = store.list_messages(gw.db, b["conversation_id"])
    assert [m["text"] for m in msgs if m["direction"] == "in"] == ["4711"]
    for ws in (ws_a, ws_b, ws_d):
        await ws.close()
    # beta's token resumes beta's conversation; it is no key to alpha's chat
    ws, again = await _session(gw, f"?shop=beta&token={b['token']}")
    assert again["conversation_id"] == b["conversation_id"]
    await ws.close()
    ws = await gw.http.ws_connect(f"{gw.url}/ws/chat?shop=alpha&token={b['token']}")
    refused = await ws.receive_json(timeout=10)
    assert refused["code"] == "invalid_token"
    await ws.close()
    assert store.get_conversation(gw.db, b["conversation_id"])["shop"] == "beta"


async def test_widget_origins_are_per_shop(gw):
    ws, s = await _session(gw, "?shop=beta", Origin="https://beta.example")
    await _say(gw, ws, s, "Bonjour", "o1")
    await ws.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await gw.http.ws_connect(f"{gw.url}/ws/chat?shop=beta", headers={"Origin": "https://alpha.example"})
    assert refused.value.status == 403
    # the gateway's own pages (the demo page) may open any shop's chat
    ws, s = await _session(gw, "?shop=beta", Origin=gw.url)
    await _say(gw, ws, s, "Bonjour", "o2")
    await ws.close()
    assert [c["shop"] for c in store.list_conversations(gw.db)] == ["beta", "beta"]


async def test_demo_page_shows_the_shop_and_embeds_its_widget(gw):
    async with gw.http.get(f"{gw.url}/?shop=beta") as r:
        page = await r.text()
    assert r.status == 200
    assert "<title>Beta Vignettes — demo</title>" in page and 'shop: "beta"' in page
    assert 'lang="fr"' in page  # the shop's default language
    async with gw.http.get(f"{gw.url}/") as r:
        page = await r.text()
    assert "Alpha Parts" in page and 'shop: "alpha"' in page and 'lang="nl"' in page
    async with gw.http.get(f"{gw.url}/?shop=gamma") as r:
        assert r.status == 404 and "gamma" in await r.text()


def test_gateway_refuses_to_start_on_a_broken_shops_file(tmp_path):
    from connectors.app import ShopsFileError, create_app

    broken = tmp_path / "shops.yml"
    broken.write_text("default_shop: alpha\nshops:\n  - name: No id\n", encoding="utf-8")
    with pytest.raises(ShopsFileError, match=r"shops.yml:3: shop without 'id'"):
        create_app({"HELPDESK_DB": str(tmp_path / "h.db"), "SHOPS_FILE": str(broken)})
    assert not (tmp_path / "h.db").exists()  # nothing opened, nothing half-started
