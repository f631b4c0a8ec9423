"""WhatsApp through Twilio: a thin adapter between Twilio's wire format and the conversation flow.

Inbound: `POST /webhooks/whatsapp` (form-encoded, signed with X-Twilio-Signature). The signature
is checked against the public URL before anything is read into the store; the message is stored
by `flow.receive` (deduplicated on MessageSid) and acknowledged with empty TwiML at once, while
bot routing continues in the background (Twilio gives up on slow webhooks).
Outbound: the outbox calls `send`, which runs the blocking `twilio` client in a thread.
Status callbacks: `POST /webhooks/whatsapp/status` moves the delivery status forward.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime
from typing import Any

from aiohttp import web

from connectors import bus, flow, outbox, shops, store
from connectors.channel import Channel
from connectors import message_templates as wa_templates
from connectors.channels.whatsapp import inbound_media
from connectors.channels.whatsapp.sending import (TwilioSendError, TwilioSettings, already_sent, make_client,
                                                  send_parts, send_template, whatsapp_address)
from helpdesk.shops import normalize_number
from connectors.channels.whatsapp.wire import (
    EMPTY_TWIML,
    WebhookError,
    parse_inbound,
    parse_status,
    pick_button,
    public_url,
    render_buttons,
    signature_ok,
    split_text,
)

log = logging.getLogger(__name__)

NAME = "whatsapp"
WEBHOOK_PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"
REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM")
# Country codes whose customers we greet in French before they wrote any text (media-only first message).
_FRENCH_PREFIXES = ("+33", "+377", "+262", "+594", "+596", "+590")
_DUTCH_PREFIXES = ("+31",)



def routes(app: web.Application) -> None:
    """The webhooks are mounted even when the channel is off, so Twilio gets a clear 503, not a 404."""
    app["whatsapp"] = None
    app.router.add_post(WEBHOOK_PATH, webhook)
    app.router.add_post(STATUS_PATH, status_callback)


def setup(app: web.Application) -> None:
    """Build the Twilio client and the adapter's state (only when the settings are there)."""
    settings = app["settings"]
    sender = settings.TWILIO_WHATSAPP_FROM
    if not sender.startswith("whatsapp:"):
        sender = f"whatsapp:{sender}"
    callback = None
    if settings.TWILIO_STATUS_CALLBACK:
        callback = settings.PUBLIC_URL.rstrip("/") + STATUS_PATH
    cfg = TwilioSettings(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        whatsapp_from=sender,
        api_base_url=settings.TWILIO_API_BASE_URL,
        status_callback=callback,
    )
    app["whatsapp"] = {
        "cfg": cfg,
        "client": make_client(cfg),
        "public_url": settings.PUBLIC_URL,
        "trust_proxy": settings.TRUST_PROXY_HEADERS,
        "partial": {},  # message id -> SIDs of the parts already sent (a retry skips them)
        "stats": {"rejected": 0},
        "templates": [],
    }
    try:
        app["whatsapp"]["templates"] = wa_templates.parse(settings.TWILIO_TEMPLATES, settings.TWILIO_TEMPLATE_SID)
    except wa_templates.TemplateError as exc:  # reported, not fatal: free text within 24 h still works
        log.error("WhatsApp templates off: %s", exc)
        app["whatsapp"]["stats"]["templates_error"] = str(exc)
    log.info("channel whatsapp on: from %s via %s", sender, cfg.api_base_url or "api.twilio.com")


def health(app: web.Application) -> dict[str, Any]:
    """What only this adapter counts (webhooks refused); the shared counters come from connectors.channel."""
    return dict(app["whatsapp"]["stats"])


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


async def _signed_form(request: web.Request) -> tuple[dict[str, str] | None, web.Response | None]:
    """The webhook's form if Twilio signed it, else the error response to send (403/400/503)."""
    state = request.app.get("whatsapp")
    if not state:
        return None, _text(503, "whatsapp channel is not configured")
    try:
        form = await request.post()
    except web.HTTPException:  # 413: larger than the app's client_max_size
        state["stats"]["rejected"] += 1
        raise
    except Exception as exc:  # undecodable body, wrong encoding
        state["stats"]["rejected"] += 1
        return None, _text(400, f"unreadable form body: {type(exc).__name__}")
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    url = public_url(
        state["public_url"], request.path_qs, request.headers,
        f"{request.scheme}://{request.host}", state["trust_proxy"],
    )
    if not signature_ok(state["cfg"].auth_token, url, params, request.headers.get("X-Twilio-Signature")):
        state["stats"]["rejected"] += 1
        log.warning("whatsapp webhook with a missing or invalid signature for %s refused", url)
        return None, _text(403, "invalid or missing X-Twilio-Signature")
    return params, None


def _language_hint(identity: str) -> str | None:
    """A first guess for a new conversation's language from the phone number's country code."""
    if identity.startswith(_FRENCH_PREFIXES):
        return "fr"
    if identity.startswith(_DUTCH_PREFIXES):
        return "nl"
    return None  # Belgium (+32) speaks both: let the text decide


def _last_buttons(app: web.Application, identity: str, shop: str) -> list[dict] | None:
    """Buttons of the bot's last message, if it is the newest message of the shop's open conversation."""
    db = app["db"]
    contact = store.get_or_create_contact(db, NAME, identity)
    conv = store.open_conversation_for_contact(db, contact["id"], shop)
    if conv is None:
        return None
    recent = store.list_messages(db, conv["id"], limit=1)
    if recent and recent[0]["direction"] == "out" and recent[0].get("buttons"):
        return recent[0]["buttons"]
    return None


async def webhook(request: web.Request) -> web.Response:
    """Twilio's incoming-message webhook: verify, store, acknowledge with empty TwiML."""
    params, error = await _signed_form(request)
    if error is not None:
        return error
    app = request.app
    state = app["whatsapp"]
    try:
        msg = parse_inbound(params)
    except WebhookError as exc:
        state["stats"]["rejected"] += 1
        return _text(400, f"malformed WhatsApp webhook: {exc}")
    text = msg.text
    # The number the customer wrote to picks the shop (shops.yml whatsapp_from), else the default shop.
    shop = shops.for_whatsapp(app, msg.meta.get("To"))
    # Twilio quick-reply buttons carry their payload; our numbered choices map back to theirs.
    payload = msg.meta.get("ButtonPayload") or (
        pick_button(text, _last_buttons(app, msg.identity, shop.id)) if text else None)
    meta = dict(msg.meta)
    meta["shop"] = shop.id
    if msg.meta.get("To"):
        meta["shop_address"] = whatsapp_address(normalize_number(msg.meta["To"]))
    if payload:
        meta["typed"] = text
        text = payload
    media = msg.media or None
    if media and store.find_inbound(app["db"], NAME, msg.message_sid) is None:  # not for a redelivery
        media = await inbound_media.keep(app, media)
    hint = _language_hint(msg.identity)
    if hint:
        meta["language"] = hint
    try:
        result = await flow.receive(
            app, channel=NAME, identity=msg.identity, text=text,
            channel_message_id=msg.message_sid, media=media, name=msg.name, meta=meta,
        )
    except store.StoreError as exc:
        return _text(400, f"message refused: {exc}")
    return web.Response(text=EMPTY_TWIML, content_type="text/xml", charset="utf-8")


async def status_callback(request: web.Request) -> web.Response:
    """Twilio's status callback: move the outbound message's delivery status forward."""
    params, error = await _signed_form(request)
    if error is not None:
        return error
    app = request.app
    try:
        sid, status, extra = parse_status(params)
    except WebhookError as exc:
        return _text(400, f"malformed status callback: {exc}")
    row = store.set_delivery_status(app["db"], sid, status)
    if row is not None:
        if extra:
            store.add_event(app["db"], row["conversation_id"], "delivery_" + status, "system",
                            {"message_id": row["id"], "sid": sid, **extra})
        bus.publish(app, "message", store.get_message(app["db"], row["id"]))
    return web.Response(text=EMPTY_TWIML, content_type="text/xml", charset="utf-8")


def _body(message: dict) -> str:
    return render_buttons(message.get("text") or "", message.get("buttons"))


def _media_urls(message: dict) -> list[str]:
    """Public http(s) media the bot or an agent attached (Twilio fetches them itself)."""
    urls = []
    for item in message.get("media") or []:
        url = item.get("url") if isinstance(item, dict) else item
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            urls.append(url)
    return urls[:10]


def _sender_cfg(cfg: TwilioSettings, conversation: dict) -> TwilioSettings:
    """Reply from the number the customer wrote to (a shop's own number), else TWILIO_WHATSAPP_FROM."""
    address = conversation.get("shop_address")
    if not address or not address.startswith("whatsapp:") or address == cfg.whatsapp_from:
        return cfg
    return dataclasses.replace(cfg, whatsapp_from=address)


async def send(app: web.Application, conversation: dict, message: dict) -> str | None:
    """The outbox's sender: one message, split into <=1600-character parts; returns the last SID."""
    state = app["whatsapp"]
    contact = store.get_contact(app["db"], conversation["contact_id"])
    if contact is None:
        raise outbox.SendError(f"conversation {conversation['id']} has no contact", retryable=False)
    if message.get("template"):
        return await _send_template(state, contact["identity"], message["template"])
    parts = split_text(_body(message))
    media_urls = _media_urls(message)
    if not parts and not media_urls:
        raise outbox.SendError("nothing to send: no text and no media URL", retryable=False)
    if not parts:
        parts = [""]
    done: list[str] = state["partial"].get(message["id"], [])
    cfg = _sender_cfg(state["cfg"], conversation)
    try:
        if not done and message.get("attempts"):
            # A retry, or a resume after a crash: an earlier attempt may have reached Twilio (a
            # timeout, or a kill between Twilio's answer and our "sent"). Ask Twilio what it has.
            done = await asyncio.to_thread(already_sent, state["client"], cfg, contact["identity"],
                                           parts, datetime.fromisoformat(message["created_at"]))
            if done:
                log.info("message %s: %d of %d part(s) already at Twilio; not sent again",
                         message["id"], len(done), len(parts))
        todo = parts[len(done):]
        if not todo:
            state["partial"].pop(message["id"], None)
            return done[-1]
        sids = await asyncio.to_thread(send_parts, state["client"], cfg, contact["identity"], todo,
                                       [] if done else media_urls)
    except TwilioSendError as exc:
        if exc.sent_sids:
            state["partial"][message["id"]] = done + exc.sent_sids
        raise outbox.SendError(str(exc), retryable=exc.retryable) from exc
    state["partial"].pop(message["id"], None)
    all_sids = done + sids
    return all_sids[-1] if all_sids else None


async def _send_template(state: dict, identity: str, template: dict) -> str:
    """An approved template (outside the 24-hour window). Not deduplicated against Twilio's list on
    a retry: the rendered text that list shows is Twilio's, not ours to compare."""
    try:
        return await asyncio.to_thread(send_template, state["client"], state["cfg"], identity,
                                       template["content_sid"], template.get("variables") or {})
    except TwilioSendError as exc:
        raise outbox.SendError(str(exc), retryable=exc.retryable) from exc


CHANNEL = Channel(name=NAME, send=send, required=REQUIRED, setup=setup, routes=routes, health=health)
