"""WhatsApp webhook on the real gateway app and SQLite file: signatures, bad input, media, status.

These need no bot: refused requests never reach it, and a media-only message is answered by the
flow itself. Replies still travel through the real twilio client to the stand-in.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from channels_support import wait_until as support_wait_until
from channels_support import AUTH_TOKEN, WA_FROM, settle, whatsapp_settings

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
CUSTOMER = "+32470111222"


def form(sid: str, body: str | None = "Hallo", **extra) -> dict:
    data = {"From": f"whatsapp:{CUSTOMER}", "To": WA_FROM, "MessageSid": sid, "AccountSid": "AC1",
            "NumMedia": "0", "ProfileName": "Jan"}
    if body is not None:
        data["Body"] = body
    data.update(extra)
    return data


async def post(url: str, data: dict, signed_url: str | None = None, token: str = AUTH_TOKEN,
               signature: str | None = None, headers: dict | None = None) -> tuple[int, str, str]:
    hdrs = dict(headers or {})
    if signature is None and signed_url is not None:
        signature = RequestValidator(token).compute_signature(signed_url, data)
    if signature is not None:
        hdrs["X-Twilio-Signature"] = signature
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers=hdrs) as r:
            return r.status, await r.text(), r.headers.get("Content-Type", "")


def wait_until(predicate, timeout: float = 10.0):
    return support_wait_until(predicate, timeout, 0.05)


@pytest.fixture
async def gw(make_gateway, twilio):
    twilio.reset()
    return await make_gateway(whatsapp_settings(twilio))


async def test_unsigned_and_forged_webhooks_get_403_and_store_nothing(gw):
    url = gw.url + "/webhooks/whatsapp"
    assert (await post(url, form("SM_unsigned")))[0] == 403
    assert (await post(url, form("SM_forged"), signed_url=url, token="not-the-token"))[0] == 403
    # signed for other content than what is posted
    sig = RequestValidator(AUTH_TOKEN).compute_signature(url, form("SM_x", body="iets anders"))
    assert (await post(url, form("SM_x"), signature=sig))[0] == 403
    # signed for another URL (the signature binds the public URL)
    assert (await post(url, form("SM_y"), signed_url="https://evil.example/webhooks/whatsapp"))[0] == 403
    assert gw.rows("SELECT * FROM messages") == []
    assert gw.rows("SELECT * FROM contacts") == []


async def test_signed_message_is_stored_and_acknowledged_with_empty_twiml(gw):
    url = gw.url + "/webhooks/whatsapp"
    status, body, ctype = await post(url, form("SM_ok", body="Waar is mijn factuur?"), signed_url=url)
    assert (status, body) == (200, EMPTY_TWIML) and ctype.startswith("text/xml")
    rows = gw.rows("SELECT m.*, c.channel, k.identity, k.name FROM messages m JOIN conversations c"
                   " ON c.id=m.conversation_id JOIN contacts k ON k.id=c.contact_id")
    assert len(rows) == 1
    assert (rows[0]["channel"], rows[0]["identity"], rows[0]["name"], rows[0]["text"],
            rows[0]["channel_message_id"], rows[0]["direction"]) == \
        ("whatsapp", CUSTOMER, "Jan", "Waar is mijn factuur?", "SM_ok", "in")


async def test_malformed_signed_bodies_get_400_with_a_reason(gw):
    url = gw.url + "/webhooks/whatsapp"
    no_from = {k: v for k, v in form("SM_nf").items() if k != "From"}
    status, text, _ = await post(url, no_from, signed_url=url)
    assert status == 400 and "From" in text
    status, text, _ = await post(url, form("SM_empty", body=""), signed_url=url)
    assert status == 400 and "empty" in text
    status, text, _ = await post(url, form("SM_bad", NumMedia="lots"), signed_url=url)
    assert status == 400 and "NumMedia" in text
    assert gw.rows("SELECT * FROM messages") == []


async def test_non_form_body_is_refused(gw):
    async with aiohttp.ClientSession() as http:
        async with http.post(gw.url + "/webhooks/whatsapp", data=b"\xff\xfe\x00garbage",
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      "X-Twilio-Signature": "abc"}) as r:
            assert r.status in (400, 403)
        async with http.post(gw.url + "/webhooks/whatsapp", json={"From": "x"}) as r:
            assert r.status == 403
        huge = {"From": f"whatsapp:{CUSTOMER}", "MessageSid": "SM_huge", "Body": "x" * (2 * 1024 * 1024)}
        async with http.post(gw.url + "/webhooks/whatsapp", data=huge,
                             headers={"X-Twilio-Signature": "abc"}) as r:
            assert r.status == 413
    assert gw.rows("SELECT * FROM messages") == []


async def test_media_only_keeps_urls_and_gets_a_polite_text_only_reply(gw, twilio):
    url = gw.url + "/webhooks/whatsapp"
    data = form("MM_media", body=None, NumMedia="2",
                MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                MediaContentType0="image/jpeg",
                MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
                MediaContentType1="application/pdf")
    status, body, _ = await post(url, data, signed_url=url)
    assert (status, body) == (200, EMPTY_TWIML)
    # a retried webhook (same MessageSid) must not give a second reply
    assert (await post(url, data, signed_url=url))[0] == 200
    replies = await asyncio.to_thread(twilio.wait_for, 1, 10, f"whatsapp:{CUSTOMER}")
    assert len(replies) == 1
    assert replies[0]["from"] == WA_FROM and "tekst" in replies[0]["body"]  # Dutch by default
    inbound = gw.rows("SELECT * FROM messages WHERE direction='in'")
    assert len(inbound) == 1 and inbound[0]["text"] in (None, "")
    assert '"image/jpeg"' in inbound[0]["media"] and "ME2" in inbound[0]["media"]
    await settle(gw.app, extra=lambda: len(twilio.messages))
    assert len(twilio.messages) == 1


async def test_french_number_media_only_is_answered_in_french(gw, twilio):
    url = gw.url + "/webhooks/whatsapp"
    data = form("MM_fr", body=None, From="whatsapp:+33612345678", NumMedia="1",
                MediaUrl0="https://api.twilio.com/m/ME9", MediaContentType0="image/png")
    assert (await post(url, data, signed_url=url))[0] == 200
    replies = await asyncio.to_thread(twilio.wait_for, 1, 10, "whatsapp:+33612345678")
    assert len(replies) == 1 and "texte" in replies[0]["body"]


async def test_status_callbacks_move_delivery_status_forward(gw, twilio):
    from connectors import flow, outbox

    # an agent-style outbound message on a real conversation; the stand-in then calls back signed
    conv = flow.conversation_for(gw.app, "whatsapp", CUSTOMER)
    msg = outbox.enqueue(gw.app, conv["id"], "Uw pakket is onderweg.", author="agent")
    sent = await asyncio.to_thread(twilio.wait_for, 1, 10)
    assert sent and sent[0]["status_callback"] == gw.url + "/webhooks/whatsapp/status"
    row = await wait_until(lambda: [r for r in gw.rows("SELECT * FROM messages WHERE id=?", (msg["id"],))
                                    if r["status"] == "delivered"])
    assert row and row[0]["channel_message_id"] == sent[0]["sid"]
    ours = [c for c in list(twilio.callbacks) if c[1]["MessageSid"] == sent[0]["sid"]]
    assert [(c[1]["MessageStatus"], c[2]) for c in ours] == [("sent", 200), ("delivered", 200)]
    # a forged callback cannot mark it failed
    status_url = gw.url + "/webhooks/whatsapp/status"
    forged = {"MessageSid": sent[0]["sid"], "MessageStatus": "failed"}
    assert (await post(status_url, forged, signed_url=status_url, token="wrong"))[0] == 403
    # a signed "read" moves it on; a late signed "sent" does not move it back
    for status in ("read", "sent"):
        data = {"MessageSid": sent[0]["sid"], "MessageStatus": status}
        assert (await post(status_url, data, signed_url=status_url))[0] == 200
    assert gw.rows("SELECT status FROM messages WHERE id=?", (msg["id"],))[0]["status"] == "read"


async def test_long_reply_is_split_below_1600_characters(gw, twilio):
    from connectors import flow, outbox

    conv = flow.conversation_for(gw.app, "whatsapp", CUSTOMER)
    text = " ".join(f"zin{i}." for i in range(700))  # ~5400 characters
    msg = outbox.enqueue(gw.app, conv["id"], text, author="agent")
    parts = await asyncio.to_thread(twilio.wait_for, 4, 10)
    await settle(gw.app, extra=lambda: len(twilio.messages))
    assert len(twilio.messages) == 4 and all(len(p["body"]) <= 1600 for p in parts)
    assert " ".join(p["body"] for p in parts).split() == text.split()
    row = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE id=? AND status != 'queued'",
                                           (msg["id"],)))
    assert row[0]["channel_message_id"] == parts[-1]["sid"]


async def test_twilio_outage_is_retried_and_a_bad_number_fails_for_good(gw, twilio, monkeypatch):
    from connectors import flow, outbox

    monkeypatch.setattr(outbox, "BACKOFF_BASE", 0.05)
    conv = flow.conversation_for(gw.app, "whatsapp", CUSTOMER)
    twilio.fail_next(503, 20503, "Service unavailable", count=2)
    msg = outbox.enqueue(gw.app, conv["id"], "Na een storing", author="agent")
    got = await asyncio.to_thread(twilio.wait_for, 1, 15)
    assert [m["body"] for m in got] == ["Na een storing"]
    row = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE id=? AND status IN ('sent','delivered')",
                                           (msg["id"],)))
    assert row and row[0]["attempts"] == 3
    twilio.reset()
    twilio.fail_next(400, 21211, "The 'To' number is not a valid phone number.")
    bad = outbox.enqueue(gw.app, conv["id"], "Komt nooit aan", author="agent")
    row = await wait_until(lambda: gw.rows("SELECT * FROM messages WHERE id=? AND status='failed'", (bad["id"],)))
    assert row and row[0]["attempts"] == 1 and "21211" in row[0]["error"]


async def test_signature_is_checked_against_public_url_and_proxy_headers_when_trusted(make_gateway, twilio):
    public = "https://help.shop.example"
    gw = await make_gateway(whatsapp_settings(twilio), public_url=public)
    local = gw.url + "/webhooks/whatsapp?shop=be"
    # signed for the address the gateway sees locally: wrong, Twilio signs the public URL
    assert (await post(local, form("SM_local"), signed_url=local))[0] == 403
    assert (await post(local, form("SM_pub"), signed_url=public + "/webhooks/whatsapp?shop=be"))[0] == 200
    # proxy headers are ignored unless TRUST_PROXY_HEADERS is on
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "proxy.shop.example"}
    assert (await post(local, form("SM_px"), headers=proxied,
                       signed_url="https://proxy.shop.example/webhooks/whatsapp?shop=be"))[0] == 403
    gw2 = await make_gateway(dict(whatsapp_settings(twilio), TRUST_PROXY_HEADERS="1"), public_url=public)
    local2 = gw2.url + "/webhooks/whatsapp?shop=be"
    assert (await post(local2, form("SM_px2"), headers=proxied,
                       signed_url="https://proxy.shop.example/webhooks/whatsapp?shop=be"))[0] == 200
    assert [r["channel_message_id"] for r in gw.rows("SELECT * FROM messages")] == ["SM_pub"]


async def test_missing_settings_switch_the_channel_off_without_crashing(make_gateway, caplog):
    with caplog.at_level("INFO"):
        gw = await make_gateway({})
    assert any("whatsapp off" in r.getMessage() and "TWILIO_ACCOUNT_SID" in r.getMessage() for r in caplog.records)
    status, text, _ = await post(gw.url + "/webhooks/whatsapp", form("SM_off"), signed_url="x")
    assert status == 503
    async with aiohttp.ClientSession() as http:
        async with http.get(gw.url + "/healthz") as r:
            health = await r.json()
    assert health["channels"]["whatsapp"]["on"] is False
    assert "TWILIO_ACCOUNT_SID" in health["channels"]["whatsapp"]["reason"]


async def test_bot_image_goes_out_as_twilio_media(gw, twilio):
    from connectors import flow, outbox

    conv = flow.conversation_for(gw.app, "whatsapp", CUSTOMER)
    outbox.enqueue(gw.app, conv["id"], "Zo ziet uw factuur eruit:", author="bot",
                   media=["https://shop.example/img/factuur.png"])
    outbox.enqueue(gw.app, conv["id"], None, author="bot", media=[{"url": "https://shop.example/a.jpg"}])
    sent = await asyncio.to_thread(twilio.wait_for, 2, 10)
    assert [(m["body"], m["media_url"]) for m in sent] == [
        ("Zo ziet uw factuur eruit:", ["https://shop.example/img/factuur.png"]),
        ("", ["https://shop.example/a.jpg"])]


async def test_resend_after_a_crash_asks_twilio_first_and_never_sends_twice(gw, twilio):
    """A kill between Twilio's 201 and our "sent" leaves the row queued with one attempt counted.

    The retry must find the message at Twilio (its message list) and only mark it sent; a
    message Twilio never got is sent once; a split reply resumes after the parts Twilio has."""
    from connectors import flow, store
    from connectors.channels.whatsapp import sending as twilio_send
    from connectors.channels.whatsapp import adapter as whatsapp

    state = gw.app["whatsapp"]
    conv = flow.conversation_for(gw.app, "whatsapp", CUSTOMER)

    def in_doubt(msg_id: int, text: str, created_at: str) -> dict:
        return {"id": msg_id, "attempts": 1, "created_at": created_at, "text": text, "author": "agent"}

    # 1. Twilio got it before the crash: no second message, the existing SID is returned
    started = store.now()
    first = await asyncio.to_thread(twilio_send.send_parts, state["client"], state["cfg"], CUSTOMER,
                                    ["Uw pakket is onderweg."])
    sid = await whatsapp.send(gw.app, conv, in_doubt(900001, "Uw pakket is onderweg.", started))
    assert sid == first[0]
    assert [m["body"] for m in twilio.messages] == ["Uw pakket is onderweg."]

    # 2. Twilio never got it: sent exactly once
    sid = await whatsapp.send(gw.app, conv, in_doubt(900002, "Nog een vraag?", store.now()))
    assert [m["body"] for m in twilio.messages] == ["Uw pakket is onderweg.", "Nog een vraag?"]
    assert sid == twilio.messages[-1]["sid"]

    # 3. a long reply cut after two of its parts: only the rest goes out
    twilio.reset()
    text = " ".join(f"zin{i}." for i in range(700))
    parts = whatsapp.split_text(text)
    started = store.now()
    await asyncio.to_thread(twilio_send.send_parts, state["client"], state["cfg"], CUSTOMER, parts[:2])
    await whatsapp.send(gw.app, conv, in_doubt(900003, text, started))
    assert [m["body"] for m in twilio.messages] == parts
    # an older identical text does not count as this message's send
    twilio.reset()
    await asyncio.to_thread(twilio_send.send_parts, state["client"], state["cfg"], CUSTOMER, ["Dank u!"])
    later = (datetime.fromisoformat(store.now()) + timedelta(seconds=60)).isoformat()
    await whatsapp.send(gw.app, conv, in_doubt(900004, "Dank u!", later))
    assert [m["body"] for m in twilio.messages] == ["Dank u!", "Dank u!"]
