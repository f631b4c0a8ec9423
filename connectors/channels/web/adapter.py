"""Web chat adapter: demo page, embeddable widget, and the `/ws/chat` WebSocket.

Wire format (JSON text frames):
  server -> client  {"type":"session","conversation_id","token"}      always first
                    {"type":"history","messages":[{"id","from","text","buttons"}]}
                    {"type":"message","id","from":"bot"|"agent","text","buttons":[{"title","payload"}]}
                    {"type":"typing","on":bool}   {"type":"state","state"}
                    {"type":"error","code","message"}
                    {"type":"offer_email","reason":"outside_hours"}  waiting for a person outside
                        business hours (and email is on): the widget offers to continue by email
                    {"type":"email_saved","email"}  agents' replies now go to that address
                    history items of customer attachments carry "media":[{"filename","content_type"}]
  client -> server  {"type":"message","text"}   {"type":"button","payload"}
                    {"type":"email","email"}  "reply by email to X" (error code "bad_email" if not an address)
                    optional "id" (a client message id, <= 64 chars): the frame is stored once
                    even if resent, and the server answers {"type":"ack","id"} once it is stored,
                    so a client resends only what was never acknowledged (no ack without "id")

Shops: `?shop=ID` (a shops.yml id; default: the default shop) picks the shop a new conversation
belongs to; the page's Origin must be one of that shop's `widget_origins` (or this gateway's own
pages). An unknown id gets `{"type":"error","code":"unknown_shop"}` and the socket is closed with
code 4404, nothing stored. A token whose conversation belongs to another shop counts as invalid.

Abuse limits: at most WEBCHAT_MAX_SOCKETS_PER_CLIENT open sockets per client address (proxy-aware,
connectors/client_address.py); more get `{"type":"error","code":"too_many_connections"}` and close
code 4429. Every client frame (also invalid, too long, binary or ping) takes a token from the
socket's bucket (RATE_MAX frames, refilled over RATE_WINDOW s); refused frames get `rate_limited`,
and a client that keeps flooding is closed (1008). A socket that sends nothing stores nothing: the
session frame announces the conversation id and token, and the contact and conversation are
created with the first real message. Such a token carries a MAC under the install key
(connectors/install_key.py), so a reconnect before the first message is recognised (same
conversation id) without anything stored, and a forged token still is not.

Images: `POST /chat/upload` with the raw bytes and the session token in `X-Chat-Token` (see
connectors/channels/web/uploads.py).

Session tokens: `?token=` on the WebSocket URL. A token is 32 random bytes (URL-safe base64) plus
"." and a MAC of them; the store keeps only its SHA-256 (conversations.token_hash, also the web
contact's identity). A token that matches no conversation and is not ours (bad MAC) gets `{"type":"error","code":"invalid_token"}` and the socket is
closed with code 4401; the widget then forgets it and opens a fresh session. `?conversation_id=`
may be sent along; if it names another conversation than the token's, that is refused the same way.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from connectors import bus, client_address, flow, hours, install_key, outbox, shops, store
from connectors.channel import Channel
from connectors.channels.web import uploads

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4000
MAX_FRAME = 1024 * 1024  # bigger frames close the socket (1009); up to this we answer "too_long"
RATE_WINDOW = 10.0  # seconds
RATE_MAX = 20  # customer frames per window per socket
REFUSED_CLOSE_CODE = 4401
UNKNOWN_SHOP_CLOSE_CODE = 4404
TOO_MANY_CLOSE_CODE = 4429
FLOOD_CLOSE_CODE = 1008  # policy violation: kept sending while refused
ID_PEEK_MAX = 8192  # a refused frame's client id is read only from frames this small


def routes(app: web.Application) -> None:
    """The demo page, the widget script and the chat socket (the channel is always on)."""
    app["web_sockets"] = {}  # conversation id -> set of open sockets
    app["web_clients"] = {}  # client limit key -> open sockets from it
    app.router.add_get("/", demo_page)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/ws/chat", ws_chat)
    uploads.add_routes(app, conversation_of_token)


# ---------------------------------------------------------------- pages


async def demo_page(request: web.Request) -> web.Response:
    """A demo shop page with the widget embedded the way a shop would embed it; `?shop=ID` shows
    that shop (its name, its language, its widget), default the default shop."""
    app = request.app
    wanted = request.query.get("shop")
    shop = shops.get(app, wanted) if wanted else shops.default(app)
    if shop is None:
        raise web.HTTPNotFound(text=f"unknown shop {wanted!r} (see shops.yml)")
    # /?shop=ID speaks that shop's default language; the bare demo page keeps WEBCHAT_LANGUAGE
    lang = request.query.get("lang") or (shop.default_language if wanted else app["settings"].WEBCHAT_LANGUAGE)
    lang = lang if lang in ("nl", "fr") else "nl"
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    nav = "".join(f'<a href="/?shop={html.escape(s.id)}" class="s-{html.escape(s.id)}">{html.escape(s.name)}</a>'
                  for s in shops.all_shops(app).shops.values())
    page = (page.replace("{{lang}}", lang)
                .replace("{{shop}}", html.escape(shop.name))
                .replace("{{shop_id}}", html.escape(shop.id))
                .replace("{{shop_id_json}}", json.dumps(shop.id))
                .replace("{{shops_nav}}", nav)
                .replace("{{shop_json}}", json.dumps(shop.name)))
    return web.Response(text=page, content_type="text/html",
                        headers={"Cache-Control": "no-store"})


async def widget_js(request: web.Request) -> web.Response:
    return web.Response(
        body=(STATIC / "widget.js").read_bytes(), content_type="application/javascript",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


# ---------------------------------------------------------------- outbound


def message_frame(msg: dict) -> dict:
    return {"type": "message", "id": msg["id"], "from": msg["author"] if msg["author"] != "system" else "bot",
            "text": msg["text"] or "", "buttons": msg["buttons"] or []}


async def send(app: web.Application, conversation: dict, message: dict) -> str | None:
    """Push a reply to the conversation's open sockets. With none open it is still `sent`: the
    widget gets it in the history frame when it reconnects."""
    frame = message_frame(message)
    await _push(app, conversation["id"], frame)
    # The widget may be connected to another gateway (several behind a load balancer, REDIS_URL).
    bus.publish_remote(app, "web_frame", {"conversation_id": conversation["id"], "frame": frame})
    return f"web-{message['id']}"


async def _push(app: web.Application, conversation_id: str, frame: dict) -> None:
    for ws in list(app["web_sockets"].get(conversation_id, ())):
        try:
            await ws.send_json(frame)
        except (ConnectionError, RuntimeError):
            pass  # closing socket: the history on reconnect covers it


def history_frame(db, conversation_id: str) -> dict:
    """Everything the customer has seen: their messages and the replies already sent."""
    items = []
    last_buttons: dict[str, str] = {}
    for m in store.list_messages(db, conversation_id):
        if m["direction"] == "out":
            if m["status"] not in ("sent", "delivered", "read"):
                continue  # still queued: the outbox delivers it live
            last_buttons = {b["payload"]: b["title"] for b in (m["buttons"] or [])}
            items.append({"id": m["id"], "from": m["author"] if m["author"] != "system" else "bot",
                          "text": m["text"] or "", "buttons": m["buttons"] or []})
        else:
            text = m["text"] or ""
            item = {"id": m["id"], "from": "customer", "text": last_buttons.get(text, text), "buttons": []}
            if m["media"]:  # what the customer attached (names and types; the files stay with agents)
                item["media"] = [{"filename": x.get("filename"), "content_type": x.get("content_type")}
                                 for x in m["media"] if isinstance(x, dict)]
            items.append(item)
    return {"type": "history", "messages": items}


# ---------------------------------------------------------------- socket


EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}$")


def offer_email_needed(app: web.Application, conv: dict) -> bool:
    """Waiting for a person, nobody answers before the next opening, email can carry the answer."""
    if conv.get("state") != "pending" or conv.get("reply_email") or outbox.sender_for(app, "email") is None:
        return False
    schedule = app.get("business_hours") or hours.from_settings()
    return not hours.is_open(schedule, dt.datetime.now(dt.timezone.utc))


def _error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


class TokenBucket:
    """`capacity` frames at once, refilled at `rate` per second: O(1) time and memory per frame."""

    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, capacity: float, rate: float) -> None:
        self.rate, self.capacity, self.tokens, self.stamp = rate, capacity, capacity, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _peek_id(raw: str | bytes) -> str | None:
    """The client id of a small frame (so a refusal names it); big frames are not parsed."""
    if not isinstance(raw, str) or len(raw) > ID_PEEK_MAX:
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    client_id = frame.get("id") if isinstance(frame, dict) else None
    return client_id if isinstance(client_id, str) and 0 < len(client_id) <= 64 else None


class _Session:
    """One socket's view: which conversation it shows and the bus feed for it."""

    def __init__(self, app: web.Application, ws: web.WebSocketResponse, token: str,
                 token_hash: str, language: str | None, client_hash: str | None = None,
                 shop: str | None = None) -> None:
        self.app, self.ws, self.token, self.token_hash, self.language = app, ws, token, token_hash, language
        self.client_hash = client_hash
        self.shop = shop
        self.conv_id: str | None = None
        self.sub: bus.Subscription | None = None
        self.feed: asyncio.Task | None = None
        self.last_state: str | None = None
        self.bucket = TokenBucket(RATE_MAX, RATE_MAX / RATE_WINDOW)
        self.refused_in_row = 0
        self.offered = False  # offer_email sent for the current wait

    async def attach(self, conv: dict) -> None:
        """Show `conv`: session frame, history, state; then follow its live updates."""
        self.detach()
        self.conv_id = conv["id"]
        self.app["web_sockets"].setdefault(conv["id"], set()).add(self.ws)
        await self.ws.send_json({"type": "session", "conversation_id": conv["id"], "token": self.token})
        await self.ws.send_json(history_frame(self.app["db"], conv["id"]))
        self.last_state = conv["state"]
        self.offered = False
        await self.ws.send_json({"type": "state", "state": conv["state"]})
        await self._maybe_offer_email(conv)
        self.sub = bus.subscribe(self.app, {"typing", "conversation", "web_frame"},
                                 bus.for_conversation(conv["id"]))
        self.feed = asyncio.create_task(self._follow(self.sub))

    def detach(self) -> None:
        if self.conv_id is not None:
            sockets = self.app["web_sockets"].get(self.conv_id)
            if sockets is not None:
                sockets.discard(self.ws)
                if not sockets:
                    self.app["web_sockets"].pop(self.conv_id, None)
        if self.sub is not None:
            bus.unsubscribe(self.app, self.sub)
            self.sub = None
        if self.feed is not None:
            self.feed.cancel()
            self.feed = None

    async def _follow(self, sub: bus.Subscription) -> None:
        async for topic, payload in sub:
            try:
                if topic == "web_frame":  # delivered by another gateway's outbox
                    await self.ws.send_json(payload["frame"])
                elif topic == "typing":
                    await self.ws.send_json({"type": "typing", "on": bool(payload.get("on"))})
                elif topic == "conversation" and payload.get("state") != self.last_state:
                    self.last_state = payload.get("state")
                    await self.ws.send_json({"type": "state", "state": self.last_state})
                    await self._maybe_offer_email(payload)
            except (ConnectionError, RuntimeError):
                return

    async def admit(self, raw: str | bytes) -> bool:
        """Count one client frame, whatever it holds. False: refused (answered or closed)."""
        if self.bucket.take():
            self.refused_in_row = 0
            return True
        self.refused_in_row += 1
        if self.refused_in_row > RATE_MAX:
            log.info("web chat socket closed: kept flooding while rate limited")
            await self.ws.close(code=FLOOD_CLOSE_CODE, message=b"too many frames")
            return False
        error = _error("rate_limited", "Too many messages; wait a few seconds.")
        client_id = _peek_id(raw)
        if client_id:
            error["id"] = client_id
        await self.ws.send_json(error)
        return False

    async def _maybe_offer_email(self, conv: dict) -> None:
        """Waiting for a person outside business hours: offer to continue by email (once)."""
        if conv.get("state") != "pending":
            self.offered = False  # a later wait may offer again
            return
        if self.offered or not offer_email_needed(self.app, conv):
            return
        self.offered = True
        await self.ws.send_json({"type": "offer_email", "reason": "outside_hours"})

    async def save_email(self, value: object, client_id: str | None) -> None:
        """`{"type":"email","email"}`: agents' replies in this conversation then go by email."""
        address = value.strip() if isinstance(value, str) else ""
        if not EMAIL.match(address) or len(address) > 254:
            error = _error("bad_email", "That doesn't look like an email address.")
            if client_id:
                error["id"] = client_id
            await self.ws.send_json(error)
            return
        if store.get_conversation(self.app["db"], self.conv_id) is None:  # nothing asked yet
            await self.ws.send_json(_error("bad_frame", "Write your question first."))
            return
        conv = store.update_conversation(self.app["db"], self.conv_id, reply_email=address)
        store.add_event(self.app["db"], self.conv_id, "reply_email_set", "customer", {"by": "widget"})
        bus.publish(self.app, "conversation", conv)
        if client_id:
            await self.ws.send_json({"type": "ack", "id": client_id})
        await self.ws.send_json({"type": "email_saved", "email": address})

    async def handle(self, raw: str) -> None:
        """One client frame: validate, store through the flow, or answer an error frame."""
        ws = self.ws
        try:
            frame = json.loads(raw)
        except ValueError:
            await ws.send_json(_error("bad_json", "Frame is not valid JSON."))
            return
        client_id = frame.get("id") if isinstance(frame, dict) else None
        if not (isinstance(client_id, str) and 0 < len(client_id) <= 64):
            client_id = None

        async def refuse(code: str, message: str) -> None:
            error = _error(code, message)
            if client_id:
                error["id"] = client_id  # tells the widget which frame was refused
            await ws.send_json(error)

        if not isinstance(frame, dict) or frame.get("type") not in ("message", "button", "ping", "email"):
            await refuse("bad_frame", 'Expected {"type":"message","text":...} or {"type":"button","payload":...}.')
            return
        if frame["type"] == "ping":
            await ws.send_json({"type": "pong"})
            return
        if frame["type"] == "email":  # counted in the bucket like every frame (admit)
            await self.save_email(frame.get("email"), client_id)
            return
        field = "text" if frame["type"] == "message" else "payload"
        value = frame.get(field)
        if not isinstance(value, str) or not value.strip():
            await refuse("bad_frame", f'"{field}" must be a non-empty string.')
            return
        if len(value) > MAX_TEXT:
            await refuse("too_long", f"Message is longer than {MAX_TEXT} characters; it was not sent. "
                                     "Please shorten it.")
            return
        channel_message_id = f"{self.token_hash[:16]}:{client_id}" if client_id else None
        result = await flow.receive(
            self.app, channel="web", identity=self.token_hash, text=value,
            channel_message_id=channel_message_id,
            meta={"language": self.language, "token_hash": self.token_hash,
                  "conversation_id": self.conv_id, "client_hash": self.client_hash, "shop": self.shop},
        )
        if client_id:  # only clients that number their frames get acks (the widget)
            await ws.send_json({"type": "ack", "id": client_id})
        if result["conversation_id"] != self.conv_id:  # the old one was closed: a new one began
            await self.attach(store.require_conversation(self.app["db"], result["conversation_id"]))


async def ws_chat(request: web.Request) -> web.WebSocketResponse:
    """`GET /ws/chat[?shop=ID][&token=...][&lang=nl|fr]`: one customer's live chat."""
    app = request.app
    wanted_shop = request.query.get("shop")
    shop = shops.get(app, wanted_shop) if wanted_shop else shops.default(app)
    origin = request.headers.get("Origin")
    if shop is not None and not _origin_allowed(request, shop, origin):
        # Another site's page may not open chats in our customers' name.
        raise web.HTTPForbidden(text=f"origin {origin} is not allowed for shop {shop.id} "
                                     "(widget_origins in shops.yml, WEBCHAT_ALLOWED_ORIGINS)")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME)
    await ws.prepare(request)
    if shop is None:  # before anything is stored: no contact, no conversation
        await ws.send_json(_error("unknown_shop", f"Unknown shop {wanted_shop[:64]!r}; check the widget's "
                                                  "shop setting against shops.yml."))
        await ws.close(code=UNKNOWN_SHOP_CLOSE_CODE, message=b"unknown shop")
        return ws
    address = client_address.of(request)
    client_key = client_address.limit_key(address)
    clients: dict[str, int] = app["web_clients"]
    if clients.get(client_key, 0) >= app["settings"].WEBCHAT_MAX_SOCKETS_PER_CLIENT:
        await ws.send_json(_error("too_many_connections", "Too many open chats from your connection."))
        await ws.close(code=TOO_MANY_CLOSE_CODE, message=b"too many connections")
        return ws
    clients[client_key] = clients.get(client_key, 0) + 1
    try:
        return await _chat(request, ws, client_address.client_hash(app, address), shop)
    finally:
        clients[client_key] -= 1
        if clients[client_key] <= 0:
            clients.pop(client_key, None)


def _unborn(conversation_id: str, language: str | None, shop: str) -> dict:
    """A conversation announced in the session frame but not stored until the first message."""
    return {"id": conversation_id, "state": "bot", "language": language, "shop": shop}


def _mac(app: web.Application, purpose: str, value: str) -> str:
    return hmac.new(install_key.key(app), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def issue_token(app: web.Application) -> str:
    """A new session token the gateway can recognise later without having stored it:
    random part + "." + its MAC under the install key."""
    random_part = secrets.token_urlsafe(32)
    return f"{random_part}.{_mac(app, 'token', random_part)[:32]}"


def genuine_token(app: web.Application, token: str) -> bool:
    random_part, _, mac = token.partition(".")
    return bool(random_part and mac) and hmac.compare_digest(mac, _mac(app, "token", random_part)[:32])


def unborn_conversation_id(app: web.Application, token: str) -> str:
    """The id a token's first conversation gets: the same on every reconnect before it exists."""
    return _mac(app, "conversation", token)[:32]


def conversation_of_token(app: web.Application, token: str) -> dict | None:
    """A session token's stored conversation, or the unborn one a genuine token announces (its
    socket has said nothing yet); None for a forged token. Image uploads use it."""
    conv = store.conversation_by_token_hash(app["db"], store.hash_token(token))
    if conv is None and genuine_token(app, token):
        conv = _unborn(unborn_conversation_id(app, token), None, shops.default(app).id)
    return conv


async def _chat(request: web.Request, ws: web.WebSocketResponse, client_hash: str,
                shop: shops.Shop) -> web.WebSocketResponse:
    app = request.app
    lang = request.query.get("lang")
    lang = lang if lang in ("nl", "fr") else None
    token = request.query.get("token")
    db = app["db"]
    if token:
        token_hash = store.hash_token(token)
        conv = store.conversation_by_token_hash(db, token_hash)
        if conv is None and genuine_token(app, token):  # ours, but its socket never said anything
            conv = _unborn(unborn_conversation_id(app, token), lang or shop.default_language, shop.id)
        wanted = request.query.get("conversation_id")
        if conv is None or (wanted and wanted != conv["id"]) or shops.of(app, conv).id != shop.id:
            await ws.send_json(_error("invalid_token", "Unknown or forged session token; start a new session."))
            await ws.close(code=REFUSED_CLOSE_CODE, message=b"invalid token")
            return ws
        if conv["state"] == "closed":  # the next message starts a new one
            conv = _unborn(store.new_conversation_id(), lang or conv["language"], shop.id)
    else:
        token = issue_token(app)
        token_hash = store.hash_token(token)
        conv = _unborn(unborn_conversation_id(app, token), lang or shop.default_language, shop.id)
    session = _Session(app, ws, token, token_hash, lang or conv["language"], client_hash, shop.id)
    try:
        await session.attach(conv)
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY) and not await session.admit(msg.data):
                continue
            if msg.type == WSMsgType.TEXT:
                try:
                    await session.handle(msg.data)
                except store.StoreError as exc:
                    await ws.send_json(_error("bad_frame", str(exc)))
            elif msg.type == WSMsgType.BINARY:
                await ws.send_json(_error("bad_frame", "Binary frames are not supported; send JSON text."))
            elif msg.type == WSMsgType.ERROR:
                break
    except (ConnectionError, RuntimeError):
        pass
    finally:
        session.detach()
    return ws


def _own_origin(request: web.Request, origin: str) -> bool:
    """The Origin is this gateway as addressed, or PUBLIC_URL's origin."""
    parts = urlsplit(origin)
    own = {f"{request.scheme}://{request.host}".lower()}
    public = urlsplit(request.app["settings"].PUBLIC_URL or "")
    if public.netloc:
        own.add(f"{public.scheme}://{public.netloc}".lower())
    return f"{parts.scheme}://{parts.netloc}".lower() in own


def _origin_allowed(request: web.Request, shop, origin: str | None) -> bool:
    """No Origin (not a browser), this gateway's own pages (the demo page), one of the shop's
    `widget_origins`, or one of WEBCHAT_ALLOWED_ORIGINS when that is a list (origins every shop
    accepts; `*` leaves it to the shops)."""
    if origin is None or shop.allows_origin(origin) or _own_origin(request, origin):
        return True
    everywhere = request.app["settings"].WEBCHAT_ALLOWED_ORIGINS
    return everywhere != "*" and origin.rstrip("/") in {o.strip().rstrip("/") for o in everywhere.split(",")}


CHANNEL = Channel(name="web", send=send, routes=routes)
