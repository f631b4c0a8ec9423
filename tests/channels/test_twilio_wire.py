"""Twilio wire format: public URL, signatures made with the twilio library, form parsing, splitting."""
from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from connectors.channels.whatsapp.wire import (
    MAX_BODY,
    WebhookError,
    parse_inbound,
    parse_status,
    pick_button,
    public_url,
    render_buttons,
    signature_ok,
    split_text,
)

TOKEN = "tok-123"


def test_public_url_uses_public_base_not_request_host():
    url = public_url("https://help.shop.be/", "/webhooks/whatsapp?x=1", {}, "http://127.0.0.1:8080", False)
    assert url == "https://help.shop.be/webhooks/whatsapp?x=1"


def test_proxy_headers_only_when_trusted():
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    assert public_url("https://help.shop.be", "/w", headers, "http://127.0.0.1", False) == "https://help.shop.be/w"
    assert public_url("https://help.shop.be", "/w", headers, "http://127.0.0.1", True) == "https://evil.example/w"
    assert public_url(None, "/w", {}, "http://127.0.0.1:9", False) == "http://127.0.0.1:9/w"


def test_signature_made_by_twilio_library_validates_and_forgeries_do_not():
    url = "https://help.shop.be/webhooks/whatsapp"
    params = {"From": "whatsapp:+32470111222", "Body": "Hallo", "MessageSid": "SM1"}
    sig = RequestValidator(TOKEN).compute_signature(url, params)
    assert signature_ok(TOKEN, url, params, sig)
    assert not signature_ok(TOKEN, url, dict(params, Body="Hallo!"), sig)  # tampered body
    assert not signature_ok("other-token", url, params, sig)
    assert not signature_ok(TOKEN, url + "?x=1", params, sig)
    assert not signature_ok(TOKEN, url, params, None)
    assert not signature_ok(TOKEN, url, params, "")


def test_parse_text_message():
    msg = parse_inbound({"From": "whatsapp:+32470111222", "Body": "  Waar is mijn pakket? ",
                         "MessageSid": "SMabc", "ProfileName": "Jan", "NumMedia": "0", "To": "whatsapp:+1415"})
    assert (msg.identity, msg.text, msg.message_sid, msg.name) == ("+32470111222", "Waar is mijn pakket?", "SMabc", "Jan")
    assert msg.media == [] and msg.meta["To"] == "whatsapp:+1415"


def test_parse_media_only_keeps_every_url_and_type():
    msg = parse_inbound({"From": "whatsapp:+33612345678", "MessageSid": "MM1", "NumMedia": "2",
                         "MediaUrl0": "https://api.twilio.com/m/0", "MediaContentType0": "image/jpeg",
                         "MediaUrl1": "https://api.twilio.com/m/1", "MediaContentType1": "application/pdf"})
    assert msg.text == ""
    assert msg.media == [{"url": "https://api.twilio.com/m/0", "content_type": "image/jpeg"},
                         {"url": "https://api.twilio.com/m/1", "content_type": "application/pdf"}]


@pytest.mark.parametrize("form, why", [
    ({"Body": "hi", "MessageSid": "SM1"}, "From"),
    ({"From": "whatsapp:+32470111222", "Body": "hi"}, "MessageSid"),
    ({"From": "whatsapp:not-a-number", "Body": "hi", "MessageSid": "SM1"}, "phone"),
    ({"From": "whatsapp:+32470111222", "MessageSid": "SM1"}, "empty"),
    ({"From": "whatsapp:+32470111222", "MessageSid": "SM1", "NumMedia": "x"}, "NumMedia"),
])
def test_malformed_forms_say_why(form, why):
    with pytest.raises(WebhookError, match=why):
        parse_inbound(form)


def test_status_callback_parsing():
    assert parse_status({"MessageSid": "SM1", "MessageStatus": "delivered"})[:2] == ("SM1", "delivered")
    assert parse_status({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "63016"}) == \
        ("SM1", "failed", {"ErrorCode": "63016"})
    with pytest.raises(WebhookError):
        parse_status({"MessageSid": "SM1", "MessageStatus": "exploded"})
    with pytest.raises(WebhookError):
        parse_status({"MessageStatus": "sent"})


def test_split_keeps_every_word_and_respects_the_limit():
    words = [f"woord{i}" for i in range(900)]
    text = " ".join(words[:300]) + ".\n\n" + " ".join(words[300:])
    parts = split_text(text)
    assert len(parts) >= 4
    assert all(0 < len(p) <= MAX_BODY for p in parts)
    assert " ".join(parts).split() == text.split()
    assert split_text("kort") == ["kort"]
    assert [len(p) for p in split_text("x" * 3500)] == [1600, 1600, 300]  # no spaces: hard cut


def test_buttons_render_as_numbers_and_map_back():
    buttons = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nee", "payload": "/deny"}]
    assert render_buttons("Klopt dat?", buttons) == "Klopt dat?\n\n1. Ja\n2. Nee"
    assert pick_button("2", buttons) == "/deny"
    assert pick_button(" ja ", buttons) == "/affirm"
    assert pick_button("3", buttons) is None
    assert pick_button("2", None) is None


@pytest.mark.parametrize("reply, expected", [
    ("2", "/b"), ("de eerste", "/a"), ("la deuxième", "/b"), ("nummer 2", "/b"), ("le 3", "/c"),
    ("Nummer 3 graag", "/c"), ("2e", "/b"), ("n°2", "/b"), ("de derde vraag.", "/c"), ("la première svp", "/a"),
    ("een", "/a"), ("B", "/b"),
])
def test_pick_button_numbers_and_ordinals(reply, expected):
    """WhatsApp customers answer a numbered "did you mean" with a number or an ordinal (issue 10)."""
    buttons = [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}, {"title": "C", "payload": "/c"}]
    assert pick_button(reply, buttons) == expected


@pytest.mark.parametrize("reply", ["4", "de vierde", "ik heb 2 vragen over mijn factuur", "een vraag", "1 of 2",
                                   "le 3 mars"])
def test_pick_button_leaves_other_messages_alone(reply):
    buttons = [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}, {"title": "C", "payload": "/c"}]
    assert pick_button(reply, buttons) is None
