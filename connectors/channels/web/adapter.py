"""Web chat adapter: demo page, embeddable widget, and the `/ws/chat` WebSocket.

Wire format (JSON text frames):
  server -> client  {"type":"session","conversation_id","token"}      always first
                    {"type":"history","messages":[{"id","from","text","buttons"}]}
                    {"type":"message","id","from":"bot"|"agent","text","buttons":[{"title","payload"}]}
                    {"type":"typing","on":bool}   {"type":"state","state"}
                    {"type":"error","code","message"}
  client -> server  {"type":"message","text"}   {"type":"button","payload"}
                    optional "id" (a client message id, <= 64 chars): the frame is stored once
                    even if resent, and the server answers {"type":"ack","id"} once it is stored,
                    so a client resends only what was never acknowledged (no ack without "id")

Session tokens: `?token=` on the WebSocket URL. A token is 32 random bytes (URL-safe base64); the
store keeps only its SHA-256 (conversations.token_hash, also the web contact's identity). A token
that matches no conversation gets `{"type":"error","code":"invalid_token"}` and the socket is
closed with code 4401; the widget then forgets it and opens a fresh session. `?conversation_id=`
may be sent along; if it names another conversation than the token's, that is refused the same way.
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from connectors import bus, flow, store
from connectors.channel import Channel

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4000
MAX_FRAME = 1024 * 1024  # bigger frames close the socket (1009); up to this we answer "too_long"
RATE_WINDOW = 10.0  # seconds
RATE_MAX = 20  # customer frames per window per socket
REFUSED_CLOSE_CODE = 4401


def routes(app: web.Application) -> None:
    """The demo page, the widget script and the chat socket (the channel is always on)."""
    app["web_sockets"] = {}  # conversation id -> set of open sockets
    app.router.add_get("/", demo_page)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/ws/chat", ws_chat)


# ---------------------------------------------------------------- pages


async def demo_page(request: web.Request) -> web.Response:
    """A demo shop page with the widget embedded the way a shop would embed it."""
    settings = request.app["settings"]
    lang = request.query.get("lang", settings.WEBCHAT_LANGUAGE)
    lang = lang if lang in ("nl", "fr") else "nl"
    page = (STATIC / "demo.html").read_text(encoding="utf-8")
    page = (page.replace("{{lang}}", lang)
                .replace("{{shop}}", html.escape(settings.SHOP_NAME))
                .replace("{{shop_json}}", json.dumps(settings.SHOP_NAME)))
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
            items.append({"id": m["id"], "from": "customer", "text": last_buttons.get(text, text),
                          "buttons": []})
    return {"type": "history", "messages": items}


# ---------------------------------------------------------------- socket


def _error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


class _Session:
    """One socket's view: which conversation it shows and the bus feed for it."""

    def __init__(self, app: web.Application, ws: web.WebSocketResponse, token: str,
                 token_hash: str, language: str | None) -> None:
        self.app, self.ws, self.token, self.token_hash, self.language = app, ws, token, token_hash, language
        self.conv_id: str | None = None
        self.sub: bus.Subscription | None = None
        self.feed: asyncio.Task | None = None
        self.last_state: str | None = None
        self.recent: list[float] = []

    async def attach(self, conv: dict) -> None:
        """Show `conv`: session frame, history, state; then follow its live updates."""
        self.detach()
        self.conv_id = conv["id"]
        self.app["web_sockets"].setdefault(conv["id"], set()).add(self.ws)
        await self.ws.send_json({"type": "session", "conversation_id": conv["id"], "token": self.token})
        await self.ws.send_json(history_frame(self.app["db"], conv["id"]))
        self.last_state = conv["state"]
        await self.ws.send_json({"type": "state", "state": conv["state"]})
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
            except (ConnectionError, RuntimeError):
                return

    def rate_limited(self) -> bool:
        now = time.monotonic()
        self.recent = [t for t in self.recent if now - t < RATE_WINDOW]
        self.recent.append(now)
        return len(self.recent) > RATE_MAX

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

        if not isinstance(frame, dict) or frame.get("type") not in ("message", "button", "ping"):
            await refuse("bad_frame", 'Expected {"type":"message","text":...} or {"type":"button","payload":...}.')
            return
        if frame["type"] == "ping":
            await ws.send_json({"type": "pong"})
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
        if self.rate_limited():
            await refuse("rate_limited", "Too many messages; wait a few seconds.")
            return
        channel_message_id = f"{self.token_hash[:16]}:{client_id}" if client_id else None
        result = await flow.receive(
            self.app, channel="web", identity=self.token_hash, text=value,
            channel_message_id=channel_message_id,
            meta={"language": self.language, "token_hash": self.token_hash},
        )
        if client_id:  # only clients that number their frames get acks (the widget)
            await ws.send_json({"type": "ack", "id": client_id})
        if result["conversation_id"] != self.conv_id:  # the old one was closed: a new one began
            await self.attach(store.require_conversation(self.app["db"], result["conversation_id"]))


async def ws_chat(request: web.Request) -> web.WebSocketResponse:
    """`GET /ws/chat[?token=...][&lang=nl|fr]`: one customer's live chat."""
    app = request.app
    allowed = app["settings"].WEBCHAT_ALLOWED_ORIGINS
    origin = request.headers.get("Origin")
    if allowed != "*" and origin and origin not in {o.strip() for o in allowed.split(",")}:
        # Another site's page may not open chats in our customers' name.
        raise web.HTTPForbidden(text=f"origin {origin} is not allowed (WEBCHAT_ALLOWED_ORIGINS)")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME)
    await ws.prepare(request)
    lang = request.query.get("lang")
    lang = lang if lang in ("nl", "fr") else None
    token = request.query.get("token")
    db = app["db"]
    if token:
        token_hash = store.hash_token(token)
        conv = store.conversation_by_token_hash(db, token_hash)
        wanted = request.query.get("conversation_id")
        if conv is None or (wanted and wanted != conv["id"]):
            await ws.send_json(_error("invalid_token", "Unknown or forged session token; start a new session."))
            await ws.close(code=REFUSED_CLOSE_CODE, message=b"invalid token")
            return ws
        if conv["state"] == "closed":
            conv = flow.conversation_for(app, "web", token_hash, language=lang, token_hash=token_hash)
    else:
        token, token_hash = store.new_token()
        conv = flow.conversation_for(app, "web", token_hash, language=lang, token_hash=token_hash)
    session = _Session(app, ws, token, token_hash, lang or conv["language"])
    try:
        await session.attach(conv)
        async for msg in ws:
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


CHANNEL = Channel(name="web", send=send, routes=routes)
