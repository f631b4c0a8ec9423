"""Images a web-chat customer attaches: `POST /chat/upload`, checked, kept, handed to the flow.

Why HTTP and not the socket: a 5 MB image is far over the socket's frame limit, and a plain POST of
the file's bytes needs no encoding. The widget sends the raw bytes with its session token in
`X-Chat-Token` (optional `X-Client-Id` makes a resend store once, `X-Filename` names the file).
Only PNG, JPEG and WebP up to WEBCHAT_MAX_IMAGE_BYTES are kept, judged by their magic bytes, not
by the Content-Type the browser claims. Answers are JSON: 201 `{"message_id", "media"}`, or an
error `{"error": code, "message"}` (401 invalid_token, 413 too_large, 415 not_an_image, 400 empty).
"""
from __future__ import annotations

import json
import re
from urllib.parse import unquote

from aiohttp import web

from connectors import client_address, flow, media, store

UPLOAD_PATH = "/chat/upload"
HEADERS = "Content-Type, X-Chat-Token, X-Client-Id, X-Filename"


def _error(request: web.Request, status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=cors(request))


def cors(request: web.Request) -> dict[str, str]:
    """The widget runs on the shop's site: allow its origin (WEBCHAT_ALLOWED_ORIGINS) to post here."""
    allowed = request.app["settings"].WEBCHAT_ALLOWED_ORIGINS
    origin = request.headers.get("Origin")
    if allowed == "*":
        value = "*"
    elif origin and origin in {o.strip() for o in allowed.split(",")}:
        value = origin
    else:
        return {}
    return {"Access-Control-Allow-Origin": value, "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": HEADERS, "Access-Control-Max-Age": "600", "Vary": "Origin"}


async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=cors(request))


def _filename(raw: str | None) -> str | None:
    """The widget sends the name URL-encoded (headers are ASCII); keep a tame version of it."""
    name = re.sub(r"[^\w.\- ]", "_", unquote(raw or "").strip())[:100].strip()
    return name or None


async def _read(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is over `limit` (the rest is not read into memory)."""
    data = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)


async def upload(request: web.Request) -> web.Response:
    app = request.app
    allowed = app["settings"].WEBCHAT_ALLOWED_ORIGINS
    origin = request.headers.get("Origin")
    if allowed != "*" and origin and origin not in {o.strip() for o in allowed.split(",")}:
        return _error(request, 403, "origin", "This site may not send files to this chat.")
    token = request.headers.get("X-Chat-Token") or ""
    token_hash = store.hash_token(token) if token else ""
    conv = request.app["web_token_conversation"](app, token) if token else None
    if conv is None:
        return _error(request, 401, "invalid_token", "Unknown chat session; reload the page.")
    limit = app["settings"].WEBCHAT_MAX_IMAGE_BYTES
    if request.content_length is not None and request.content_length > limit:
        return _error(request, 413, "too_large", f"Images can be at most {limit // (1024 * 1024)} MB.")
    data = await _read(request, limit)
    if data is None:
        return _error(request, 413, "too_large", f"Images can be at most {limit // (1024 * 1024)} MB.")
    if not data:
        return _error(request, 400, "empty", "The file is empty.")
    kind = media.sniff_image(data)
    if kind is None:
        return _error(request, 415, "not_an_image", "Only PNG, JPEG or WebP images can be sent.")
    saved = media.save(app["settings"], data, content_type=kind, filename=_filename(request.headers.get("X-Filename")),
                       kind="image")
    client_id = request.headers.get("X-Client-Id") or ""
    channel_message_id = f"{token_hash[:16]}:{client_id}" if 0 < len(client_id) <= 64 else None
    result = await flow.receive(app, channel="web", identity=token_hash, text=None, media=[saved],
                                channel_message_id=channel_message_id,
                                meta={"language": conv["language"], "token_hash": token_hash,
                                      "conversation_id": conv["id"],
                                      "client_hash": client_address.client_hash(app, client_address.of(request))})
    body = {"message_id": result["message_id"], "conversation_id": result["conversation_id"],
            "duplicate": result["duplicate"],
            "media": {k: saved[k] for k in ("filename", "content_type", "size")}}
    return web.Response(text=json.dumps(body), status=201, content_type="application/json", headers=cors(request))


def add_routes(app: web.Application, conversation_of_token) -> None:
    """`conversation_of_token(app, token) -> dict | None` comes from the adapter (it owns tokens)."""
    app["web_token_conversation"] = conversation_of_token
    app.router.add_post(UPLOAD_PATH, upload)
    app.router.add_route("OPTIONS", UPLOAD_PATH, preflight)
