"""WhatsApp templates (Content API), inbound media kept for agents, delivery status in the console.

The real gateway and SQLite file, the real twilio client talking to the Twilio stand-in, which
checks the Content API form (ContentSid + ContentVariables) and serves media only with the
account's basic auth.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from channels_support import AUTH_TOKEN, WA_FROM, whatsapp_settings
from channels_support import wait_until as support_wait_until
from connectors import handoff, store
from connectors import message_templates as wa_templates
from connectors.console import accounts

CUSTOMER = "+32470333444"
PASSWORD = "correct horse battery"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40
PDF = b"%PDF-1.7\n% a delivery note\n%%EOF\n"


def wait_until(predicate, timeout: float = 10.0):
    return support_wait_until(predicate, timeout, 0.05)


class Agent:
    """A logged-in console session (cookie + CSRF), like the page."""

    def __init__(self, base: str):
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, email: str) -> None:
        async with self.http.post(f"{self.base}/agent/api/login", json={"email": email, "password": PASSWORD}) as r:
            assert r.status == 200
            self.csrf = (await r.json())["csrf"]

    async def get(self, path: str) -> tuple[int, dict]:
        async with self.http.get(f"{self.base}/agent/api{path}") as r:
            return r.status, await r.json()

    async def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        async with self.http.post(f"{self.base}/agent/api{path}", json=body or {},
                                  headers={"X-CSRF-Token": self.csrf}) as r:
            return r.status, await r.json()


@pytest.fixture
async def setup(make_gateway, twilio, tmp_path):
    twilio.reset()
    follow_up = twilio.approve_template(variables=2)
    plain = twilio.approve_template(variables=0)
    configured = json.dumps([
        {"name": "follow_up", "language": "nl", "content_sid": follow_up, "variables": ["naam", "bestelnummer"]},
        {"name": "follow_up", "language": "fr", "content_sid": twilio.approve_template(2),
         "variables": {"1": "nom", "2": "commande"}},
    ])
    gw = await make_gateway(dict(whatsapp_settings(twilio), TWILIO_TEMPLATES=configured,
                                 TWILIO_TEMPLATE_SID=plain, MEDIA_DIR=str(tmp_path / "media")))
    accounts.add(gw.app["db"], "ann@shop.test", "Ann", PASSWORD, "agent")
    agent = Agent(gw.url)
    await agent.login("ann@shop.test")
    yield gw, agent, {"follow_up": follow_up, "default": plain}
    await agent.http.close()


def old_conversation(gw, hours: float = 30) -> dict:
    """A WhatsApp conversation taken by Ann whose customer last wrote `hours` ago."""
    db = gw.app["db"]
    contact = store.get_or_create_contact(db, "whatsapp", CUSTOMER, "Jan")
    conv = store.create_conversation(db, contact["id"], "whatsapp", language="nl")
    msg = store.add_message(db, conv["id"], direction="in", author="customer", text="Waar blijft het?",
                            status="received")
    then = (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat(timespec="milliseconds")
    store.update_conversation(db, conv["id"], last_customer_message_at=then)
    store.mark_inbound_routed(db, msg["id"])
    handoff.escalate(gw.app, conv["id"], "asked")
    handoff.take(gw.app, conv["id"], accounts.get_by_email(db, "ann@shop.test"))
    return store.get_conversation(db, conv["id"])


async def test_closed_window_offers_templates_and_sends_one_through_the_content_api(setup, twilio):
    gw, agent, sids = setup
    conv = old_conversation(gw)
    status, detail = await agent.get(f"/conversations/{conv['id']}")
    assert status == 200
    assert detail["whatsapp"]["window_open"] is False and detail["permissions"]["reply"] is False
    assert detail["permissions"]["template"] is True and "template" in detail["notice"]
    offered = detail["whatsapp"]["template_list"]
    assert [(t["name"], t["language"]) for t in offered] == [("follow_up", "nl"), ("default", None),
                                                             ("follow_up", "fr")]  # the customer's language first
    assert offered[0]["variables"] == ["naam", "bestelnummer"]
    # free text is still refused; a template with the wrong number of values too
    assert (await agent.post(f"/conversations/{conv['id']}/reply", {"text": "Hallo?"}))[0] == 409
    status, err = await agent.post(f"/conversations/{conv['id']}/template",
                                   {"name": "follow_up", "language": "nl", "variables": ["Jan"]})
    assert status == 400 and "naam" in err["message"]
    assert (await agent.post(f"/conversations/{conv['id']}/template", {"name": "nope"}))[0] == 404
    status, sent = await agent.post(f"/conversations/{conv['id']}/template",
                                    {"name": "follow_up", "language": "nl", "variables": ["Jan", "A-4711"]})
    assert status == 201
    got = await asyncio.to_thread(twilio.wait_for, 1, 10, f"whatsapp:{CUSTOMER}")
    assert len(got) == 1
    assert got[0]["content_sid"] == sids["follow_up"] and got[0]["from"] == WA_FROM
    assert got[0]["content_variables"] == {"1": "Jan", "2": "A-4711"}  # the JSON form Twilio wants
    row = await wait_until(lambda: [r for r in gw.rows("SELECT * FROM messages WHERE id=?", (sent["message"]["id"],))
                                    if r["status"] in ("sent", "delivered")])
    assert row and row[0]["channel_message_id"] == got[0]["sid"]
    assert "follow_up" in row[0]["text"] and json.loads(row[0]["template"])["content_sid"] == sids["follow_up"]
    # the single default template (TWILIO_TEMPLATE_SID) has no variables: no ContentVariables at all
    assert (await agent.post(f"/conversations/{conv['id']}/template", {"name": "default"}))[0] == 201
    got = await asyncio.to_thread(twilio.wait_for, 2, 10, f"whatsapp:{CUSTOMER}")
    assert got[1]["content_sid"] == sids["default"] and got[1]["content_variables"] == {}


async def test_standin_refuses_a_bad_content_api_form(setup, twilio):
    gw, _agent, sids = setup
    client = gw.app["whatsapp"]["client"]
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as info:
        client.messages.create(from_=WA_FROM, to=f"whatsapp:{CUSTOMER}", content_sid=sids["follow_up"],
                               content_variables=json.dumps({"1": "Jan"}))  # {{2}} missing
    assert info.value.code == 21656
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(from_=WA_FROM, to=f"whatsapp:{CUSTOMER}", content_sid="HX" + "0" * 32)
    assert info.value.code == 21655


def test_templates_setting_is_checked_with_clear_errors():
    sid = "HX" + "a" * 32
    got = wa_templates.parse(json.dumps([{"name": "t", "language": "fr", "content_sid": sid, "variables": ["x"]}]),
                             "HX" + "b" * 32)
    assert [(t.name, t.content_sid) for t in got] == [("t", sid), ("default", "HX" + "b" * 32)]
    assert got[0].fill(["Marie"]) == {"1": "Marie"} and got[0].fill({"1": " Marie "}) == {"1": "Marie"}
    with pytest.raises(wa_templates.TemplateError, match="empty"):
        got[0].fill([" "])
    for bad, words in [("{", "not valid JSON"), ('{"name": "x"}', "JSON list"),
                       (json.dumps([{"name": "x", "content_sid": "SM123"}]), "Content SID"),
                       (json.dumps([{"content_sid": sid}]), "name is missing"),
                       (json.dumps([{"name": "x", "content_sid": sid, "variables": {"2": "a"}}]), "1..n")]:
        with pytest.raises(wa_templates.TemplateError, match=words):
            wa_templates.parse(bad)


async def test_broken_templates_setting_is_reported_not_fatal(make_gateway, twilio):
    gw = await make_gateway(dict(whatsapp_settings(twilio), TWILIO_TEMPLATES="[oops", HEALTH_TOKEN="h-token"))
    async with aiohttp.ClientSession() as http:  # details need the health token (issue 12)
        async with http.get(gw.url + "/healthz", headers={"Authorization": "Bearer h-token"}) as r:
            health = (await r.json())["channels"]["whatsapp"]
    assert health["on"] is True and "not valid JSON" in health["templates_error"]


async def post_webhook(gw, data: dict) -> int:
    url = gw.url + "/webhooks/whatsapp"
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers={"X-Twilio-Signature": sig}) as r:
            return r.status


async def test_inbound_image_and_pdf_are_downloaded_and_shown_to_agents_only(setup, twilio, tmp_path):
    gw, agent, _sids = setup
    image_url, pdf_url = twilio.add_media(PNG, "image/png"), twilio.add_media(PDF, "application/pdf")
    fake_url = twilio.add_media(b"<html>not an image</html>", "text/html")
    data = {"From": f"whatsapp:{CUSTOMER}", "To": WA_FROM, "MessageSid": "MM_media_keep", "NumMedia": "3",
            "MediaUrl0": image_url, "MediaContentType0": "image/png",
            "MediaUrl1": pdf_url, "MediaContentType1": "application/pdf",
            "MediaUrl2": fake_url, "MediaContentType2": "image/jpeg"}  # lies about its type
    assert await post_webhook(gw, data) == 200
    inbound = gw.rows("SELECT * FROM messages WHERE direction='in'")
    media = json.loads(inbound[0]["media"])
    assert [(m.get("kind"), m["content_type"], m.get("size")) for m in media[:2]] == [
        ("image", "image/png", len(PNG)), ("document", "application/pdf", len(PDF))]
    assert (tmp_path / "media" / media[0]["file"]).read_bytes() == PNG
    assert "file" not in media[2] and "not a image/jpeg" in media[2]["error"]
    assert twilio.media_fetches and all(authorized for _path, authorized in twilio.media_fetches)
    # the bot says, in Dutch, that it reads text only
    replies = await asyncio.to_thread(twilio.wait_for, 1, 10, f"whatsapp:{CUSTOMER}")
    assert replies and "tekst" in replies[0]["body"]
    # agents (logged in) see the files; nobody else does
    status, detail = await agent.get(f"/conversations/{inbound[0]['conversation_id']}")
    assert [m.get("file") for m in detail["messages"][0]["media"]][:2] == [media[0]["file"], media[1]["file"]]
    async with agent.http.get(f"{gw.url}/agent/media/{media[1]['file']}") as r:
        assert r.status == 200 and await r.read() == PDF and r.headers["Content-Type"] == "application/pdf"
    async with aiohttp.ClientSession() as anon:
        async with anon.get(f"{gw.url}/agent/media/{media[1]['file']}") as r:
            assert r.status == 401
    # the stand-in really demands the credentials we sent
    async with aiohttp.ClientSession() as anon:
        async with anon.get(image_url) as r:
            assert r.status == 401


async def test_delivery_status_callbacks_show_per_message_in_the_console(setup, twilio):
    gw, agent, _sids = setup
    conv = old_conversation(gw, hours=1)  # window open: free text
    twilio.callback_statuses = ("sent", "delivered", "read")
    status, first = await agent.post(f"/conversations/{conv['id']}/reply", {"text": "Het pakket is onderweg."})
    assert status == 201

    async def shown() -> dict:
        return {m["id"]: m["status"] for m in (await agent.get(f"/conversations/{conv['id']}"))[1]["messages"]}

    def stored(message_id: int) -> str:
        return gw.rows("SELECT status FROM messages WHERE id=?", (message_id,))[0]["status"]

    await wait_until(lambda: stored(first["message"]["id"]) == "read")
    assert (await shown())[first["message"]["id"]] == "read"
    twilio.callback_statuses = ("sent", "failed")
    status, second = await agent.post(f"/conversations/{conv['id']}/reply", {"text": "Nog een vraag?"})
    await wait_until(lambda: stored(second["message"]["id"]) == "failed")
    statuses = await shown()
    assert statuses[second["message"]["id"]] == "failed" and statuses[first["message"]["id"]] == "read"
