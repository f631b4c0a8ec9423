"""The console per shop (issue 10): the queue names and filters shops, agents limited to some shops,
notices with the shop's name, hours and queue. Real gateway app, real SQLite file, real CLI."""
from __future__ import annotations

import datetime as dt

import pytest
from aiohttp.test_utils import TestServer

from connectors import handoff, hours, store
from connectors.console import accounts

from .conftest import Console, Gateway, free_port, make_agent
from .test_cli import run

SHOPS = """
default_shop: alpha
shops:
  - id: alpha
    name: Alpha Parts
  - id: beta
    name: Oscaro Benelux
    default_language: fr
    business_hours: mon-fri 09:00-17:00
    timezone: Europe/Paris
"""
SATURDAY = dt.datetime(2026, 3, 28, 19, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def shops_file(tmp_path):
    path = tmp_path / "shops.yml"
    path.write_text(SHOPS, encoding="utf-8")
    return path


@pytest.fixture
async def gateway(tmp_path, shops_file):
    from connectors.app import create_app

    app = create_app({"HELPDESK_DB": str(tmp_path / "helpdesk.db"), "SHOPS_FILE": str(shops_file),
                      "RASA_URL": f"http://127.0.0.1:{free_port()}"})
    app["business_hours"] = hours.parse("always")  # the fallback: shop alpha names no hours
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield Gateway(app, server)
    await server.close()


def pending(app, shop: str | None, identity: str, language: str = "nl", now: dt.datetime | None = None) -> dict:
    db = app["db"]
    contact = store.get_or_create_contact(db, "web", identity)
    conv = store.create_conversation(db, contact["id"], "web", language=language, shop=shop)
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text="een mens aub", status="received")
    store.update_conversation(db, conv["id"], last_customer_message_at=msg["created_at"])
    return handoff.escalate(app, conv["id"], "asked", now=now)


def notice(db, conversation_id: str) -> str:
    return [m["text"] for m in store.list_messages(db, conversation_id) if m["author"] == "system"][0]


async def test_notices_use_the_shops_name_hours_and_queue(gateway):
    a1 = pending(gateway.app, "alpha", "a1", now=SATURDAY)
    b1 = pending(gateway.app, "beta", "b1", language="fr", now=SATURDAY)
    legacy = pending(gateway.app, None, "old", now=SATURDAY)  # made before shops: the default shop's
    # alpha names no hours: BUSINESS_HOURS ("always" here); beta is closed on Saturday evening
    assert notice(gateway.db, a1["id"]) == ("Een medewerker van Alpha Parts neemt het gesprek zo snel mogelijk "
                                            "over. Je bent nummer 1 in de wachtrij.")
    text = notice(gateway.db, b1["id"])
    assert text.startswith("Les conseillers d'Oscaro Benelux ne sont pas disponibles") and "lundi à 9h00" in text
    assert text.endswith("Vous êtes numéro 1 dans la file d'attente.")  # beta's own queue
    assert "nummer 2 in de wachtrij" in notice(gateway.db, legacy["id"])  # behind a1 in alpha's queue
    event = [e for e in store.list_events(gateway.db, b1["id"]) if e["type"] == "handoff"][0]
    assert event["data"]["shop"] == "beta" and event["data"]["next_opening"] == "2026-03-30T09:00:00+02:00"


async def test_queue_names_and_filters_shops_and_agents_see_only_theirs(gateway):
    a1 = pending(gateway.app, "alpha", "a1")
    b1 = pending(gateway.app, "beta", "b1", language="fr")
    legacy = pending(gateway.app, None, "old")
    make_agent(gateway.db, "boss@shops.example", role="admin")
    limited = make_agent(gateway.db, "bea@shops.example")
    accounts.set_shops(gateway.db, limited["id"], ["beta"])

    admin = Console(gateway)
    bea = Console(gateway)
    try:
        assert (await admin.login("boss@shops.example")).status == 200
        data = await (await admin.get("/queue")).json()
        assert [(c["id"], c["shop"], c["shop_name"]) for c in data["pending"]] == [
            (a1["id"], "alpha", "Alpha Parts"), (b1["id"], "beta", "Oscaro Benelux"),
            (legacy["id"], "alpha", "Alpha Parts")]
        assert [s["id"] for s in data["shops"]] == ["alpha", "beta"]
        only_beta = await (await admin.get("/queue?shop=beta")).json()
        assert [c["id"] for c in only_beta["pending"]] == [b1["id"]] and only_beta["shop"] == "beta"
        only_alpha = await (await admin.get("/queue?shop=alpha")).json()
        assert [c["id"] for c in only_alpha["pending"]] == [a1["id"], legacy["id"]]
        assert (await admin.get("/queue?shop=gamma")).status == 400

        login = await bea.login("bea@shops.example")
        assert (await login.json())["agent"]["shops"] == ["beta"]
        data = await (await bea.get("/queue")).json()
        assert [c["id"] for c in data["pending"]] == [b1["id"]] and [s["id"] for s in data["shops"]] == ["beta"]
        assert (await bea.get("/queue?shop=alpha")).status == 400
        # another shop's conversation does not exist for her: not readable, not takeable
        assert (await bea.get(f"/conversations/{a1['id']}")).status == 404
        assert (await bea.post(f"/conversations/{a1['id']}/take")).status == 404
        assert store.require_conversation(gateway.db, a1["id"])["state"] == "pending"
        view = await (await bea.get(f"/conversations/{b1['id']}")).json()
        assert view["conversation"]["shop"] == "beta" and view["conversation"]["position"] == 1
        assert (await bea.post(f"/conversations/{b1['id']}/take")).status == 200
        mine = await (await bea.get("/queue")).json()
        assert [c["id"] for c in mine["mine"]] == [b1["id"]] and mine["mine"][0]["shop_name"] == "Oscaro Benelux"
    finally:
        await admin.close()
        await bea.close()


def test_agents_add_with_shops(tmp_path, shops_file):
    db = tmp_path / "h.db"
    env = {"SHOPS_FILE": str(shops_file)}
    ok = run(db, "add", "bea@shops.example", "--name", "Bea", "--shops", "beta, alpha", stdin="a long secret pass\n",
             env=env)
    assert ok.returncode == 0, ok.stderr
    assert "shops beta, alpha" in ok.stdout or "shops alpha, beta" in ok.stdout
    agent = accounts.get_by_email(store.open_db(db), "bea@shops.example")
    assert accounts.shops_of(store.open_db(db), agent) == ["alpha", "beta"]
    typo = run(db, "add", "cas@shops.example", "--name", "Cas", "--shops", "betta", stdin="a long secret pass\n",
               env=env)
    assert typo.returncode != 0 and "unknown shop(s) betta" in typo.stderr
    assert accounts.get_by_email(store.open_db(db), "cas@shops.example") is None
    everyone = run(db, "add", "dee@shops.example", "--name", "Dee", stdin="a long secret pass\n", env=env)
    assert everyone.returncode == 0 and "every shop" in everyone.stdout
    listed = run(db, "list", env=env)
    assert "alpha,beta" in listed.stdout and "all shops" in listed.stdout
