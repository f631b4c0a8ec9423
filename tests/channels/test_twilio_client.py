"""The real `twilio` client against the local stand-in: wire format, auth, error mapping."""
from __future__ import annotations

import base64

import pytest

from connectors.channels.whatsapp.sending import TwilioSendError, TwilioSettings, make_client, send_parts

from channels_support import ACCOUNT_SID, AUTH_TOKEN, WA_FROM


@pytest.fixture
def cfg(twilio):
    twilio.reset()
    return TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, WA_FROM, twilio.base_url)


def test_messages_create_goes_through_the_real_client(twilio, cfg):
    sids = send_parts(make_client(cfg), cfg, "+32470111222", ["Hallo", "Tot ziens"])
    assert len(sids) == 2 and all(s.startswith("SM") and len(s) == 34 for s in sids)
    got = twilio.wait_for(2, timeout=2)
    assert [(m["from"], m["to"], m["body"]) for m in got] == [
        (WA_FROM, "whatsapp:+32470111222", "Hallo"), (WA_FROM, "whatsapp:+32470111222", "Tot ziens")]
    assert [m["sid"] for m in got] == sids


@pytest.mark.parametrize("status, code, retryable", [
    (500, 20500, True), (503, 20503, True), (429, 20429, True), (400, 21211, False), (403, 20403, False)])
def test_twilio_errors_map_to_retryable_or_not(twilio, cfg, status, code, retryable):
    twilio.fail_next(status, code, "injected")
    with pytest.raises(TwilioSendError) as info:
        send_parts(make_client(cfg), cfg, "+32470111222", ["x"])
    assert info.value.retryable is retryable
    assert str(code) in str(info.value)
    assert twilio.messages == []


def test_wrong_token_is_a_permanent_401(twilio, cfg):
    bad = TwilioSettings(ACCOUNT_SID, "wrong", WA_FROM, twilio.base_url)
    with pytest.raises(TwilioSendError, match="401") as info:
        send_parts(make_client(bad), bad, "+32470111222", ["x"])
    assert not info.value.retryable


def test_unreachable_api_is_retryable(cfg):
    down = TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, WA_FROM, "http://127.0.0.1:9")
    with pytest.raises(TwilioSendError) as info:
        send_parts(make_client(down), down, "+32470111222", ["x"])
    assert info.value.retryable


def test_partial_failure_reports_what_was_sent(twilio, cfg):
    twilio.fail_next(503, 20503, "busy", skip=1)  # first part goes through, the second gets a 503
    with pytest.raises(TwilioSendError) as info:
        send_parts(make_client(cfg), cfg, "+32470111222", ["deel 1", "deel 2"])
    assert len(info.value.sent_sids) == 1 and info.value.retryable
    assert [m["body"] for m in twilio.messages] == ["deel 1"]


def test_standin_speaks_twilio_error_json(twilio):
    import requests

    r = requests.post(f"{twilio.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
                      data={"To": "whatsapp:+32470111222", "From": WA_FROM, "Body": "x"},
                      headers={"Authorization": "Basic " + base64.b64encode(b"nope:nope").decode()})
    assert r.status_code == 401
    assert set(r.json()) == {"code", "message", "more_info", "status"} and r.json()["code"] == 20003
