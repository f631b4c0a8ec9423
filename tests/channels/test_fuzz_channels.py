"""Property-based tests (hypothesis) of hostile channel input: signed WhatsApp webhook forms and
raw email. No input crashes the gateway, and the next good message is still stored."""
from __future__ import annotations

import itertools
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from channels_support import AUTH_TOKEN, WA_FROM, whatsapp_settings
from connectors.channels.email.authres import parse_header
from connectors.channels.email.parse import ParsedMail, parse_mail

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
FIELDS = ["From", "To", "Body", "MessageSid", "SmsMessageSid", "AccountSid", "NumMedia", "ProfileName",
          "MediaUrl0", "MediaContentType0", "MediaUrl1", "ButtonPayload", "ButtonText", "WaId",
          "Latitude", "Longitude"]
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), text.filter(bool)), text, max_size=12)
_sid = itertools.count()


@pytest.fixture
async def gw(make_gateway, twilio):
    twilio.reset()
    return await make_gateway(whatsapp_settings(twilio))


@FUZZ
@given(data=forms)
async def test_any_signed_webhook_form_gets_an_answer_and_the_next_message_is_stored(gw, data):
    url = gw.url + "/webhooks/whatsapp"
    async with aiohttp.ClientSession() as http:
        sig = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
        body = urlencode(data).encode()  # what Twilio sends: a urlencoded form, any characters
        async with http.post(url, data=body, headers={"X-Twilio-Signature": sig,
                                                      "Content-Type": "application/x-www-form-urlencoded"}) as resp:
            assert resp.status in (200, 400, 413), (resp.status, await resp.text())
        sid = f"SMgood{next(_sid)}"
        good = {"From": "whatsapp:+32470999888", "To": WA_FROM, "MessageSid": sid, "AccountSid": "AC1",
                "NumMedia": "0", "Body": "Waar is mijn bestelling?"}
        sig = RequestValidator(AUTH_TOKEN).compute_signature(url, good)
        async with http.post(url, data=good, headers={"X-Twilio-Signature": sig}) as resp:
            assert resp.status == 200
    assert gw.rows("SELECT id FROM messages WHERE channel_message_id=?", (sid,))


header_names = st.sampled_from(["From", "Subject", "Message-ID", "References", "In-Reply-To", "Content-Type",
                                "Content-Transfer-Encoding", "Authentication-Results", "Auto-Submitted",
                                "Return-Path", "Reply-To", "Content-Disposition", "List-Id", "X-Weird"])
header_values = st.one_of(text, st.sampled_from([
    "multipart/mixed; boundary=b", "multipart/alternative; boundary=\"x\"", "text/html; charset=klingon",
    "base64", "quoted-printable", "=?utf-8?b?////?=", "=?iso-8859-1?q?caf=E9?=", "<>", "a;b;c=d(e(f)g",
    "mx; dkim=pass header.d=; spf", "<a@b> <c@d", "attachment; filename*=utf-8''%ff"]))


@st.composite
def raw_mails(draw) -> bytes:
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=10))
    body = draw(st.one_of(st.binary(max_size=2000), text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                          st.just(b"--b\r\nContent-Type: text/html\r\n\r\n<p><b>hi</i></div>\r\n--b--")))
    head = "".join(f"{k}: {v.replace(chr(13), ' ').replace(chr(10), ' ')}\r\n" for k, v in headers)
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + body


@settings(max_examples=200, deadline=None)
@given(raw=st.one_of(st.binary(max_size=3000), raw_mails()))
def test_parse_mail_never_raises(raw):
    mail = parse_mail(raw)
    assert isinstance(mail, ParsedMail) and mail.message_id
    assert mail.sender_auth.get("verdict") in ("pass", "fail", "none")
    assert isinstance(mail.text, str) and isinstance(mail.problems, list)


@settings(max_examples=200, deadline=None)
@given(value=text)
def test_authentication_results_parser_never_raises(value):
    authserv, methods = parse_header(value)
    assert isinstance(authserv, str) and isinstance(methods, dict)
