"""Canned responses API: admins manage them per shop and language, every agent reads them."""
from __future__ import annotations

from .conftest import make_agent


async def test_admin_manages_canned_responses_agents_read_them(gateway, console_factory):
    make_agent(gateway.db, "boss@shop.be", role="admin")
    make_agent(gateway.db, "ann@shop.be")
    admin, agent = console_factory(), console_factory()
    await admin.login("boss@shop.be")
    await agent.login("ann@shop.be")
    body = {"language": "nl", "shortcut": "/Levering", "title": "Levertijd", "text": "Wij leveren in 2-3 werkdagen."}
    resp = await admin.post("/canned", body)
    assert resp.status == 201
    created = (await resp.json())["canned"]
    assert (created["shop_id"], created["shortcut"]) == ("default", "levering")  # default shop, no slash
    await admin.post("/canned", {"language": "fr", "shortcut": "livraison", "title": "Délai",
                                 "text": "Nous livrons en 2-3 jours ouvrables."})
    await admin.post("/canned", {"shop_id": "oscaro", "language": "fr", "shortcut": "livraison", "title": "Délai",
                                 "text": "Oscaro livre en 48 h."})
    # the same shortcut twice in one shop and language: refused, nothing changes
    resp = await admin.post("/canned", dict(body, text="iets anders"))
    assert resp.status == 400 and "already exists" in (await resp.json())["message"]
    # agents read, per shop and language
    got = await (await agent.get("/canned?shop=default&language=nl")).json()
    assert [(c["shortcut"], c["text"]) for c in got["canned"]] == [("levering", "Wij leveren in 2-3 werkdagen.")]
    got = await (await agent.get("/canned?shop=oscaro")).json()
    assert [c["text"] for c in got["canned"]] == ["Oscaro livre en 48 h."]
    # agents can't manage
    assert (await agent.post("/canned", dict(body, shortcut="x"))).status == 403
    url = f"{gateway.url}/agent/api/canned/{created['id']}"
    async with agent.http.delete(url, headers={"X-CSRF-Token": agent.csrf}) as r:
        assert r.status == 403
    # bad input is a clear 400
    for bad, word in [({"language": "en"}, "language"), (dict(body, shortcut="two words"), "shortcut"),
                      (dict(body, shortcut="ok", text=" "), "text")]:
        resp = await admin.post("/canned", bad)
        assert resp.status == 400 and word in (await resp.json())["message"]
    # admins edit and delete (CSRF required)
    async with admin.http.put(url, json={"text": "Wij leveren morgen."}, headers={"X-CSRF-Token": admin.csrf}) as r:
        assert r.status == 200 and (await r.json())["canned"]["text"] == "Wij leveren morgen."
    async with admin.http.delete(url) as r:
        assert r.status == 403  # no CSRF token
    async with admin.http.delete(url, headers={"X-CSRF-Token": admin.csrf}) as r:
        assert r.status == 200
    async with admin.http.delete(url, headers={"X-CSRF-Token": admin.csrf}) as r:
        assert r.status == 404
    got = await (await agent.get("/canned?language=nl")).json()
    assert got["canned"] == []
    # logged out: nothing
    anon = console_factory()
    assert (await anon.get("/canned")).status == 401
