"""`GET /agent/ws`: live updates for the console over a WebSocket.

Only a logged-in session from this site's own pages may connect (cookie + Origin check; a
WebSocket is not covered by SameSite/CORS the way fetch is). Frames are small hints
(`{"type": "conversation"|"message", "conversation_id": ...}`); the page re-reads the details
through the API, so the socket never carries more than the API would show.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSMsgType, web

from connectors import bus, shops, store
from connectors.console import accounts, auth

log = logging.getLogger(__name__)

HEARTBEAT = 25.0


def _sockets(app: web.Application) -> dict[str, set[web.WebSocketResponse]]:
    return app["agent_sockets"]


async def close_session_sockets(app: web.Application, token_hash: str) -> None:
    """Logout ends the session's live sockets too."""
    for ws in list(_sockets(app).pop(token_hash, ())):
        await ws.close(code=4401, message=b"logged out")


def _frame(topic: str, payload: dict) -> dict | None:
    if topic == "conversation":
        return {"type": "conversation", "conversation_id": payload.get("id"), "state": payload.get("state")}
    if topic == "message":
        return {"type": "message", "conversation_id": payload.get("conversation_id"), "id": payload.get("id"),
                "author": payload.get("author")}
    return None


def _in_shops(app: web.Application, frame: dict, payload: dict, limit: list[str]) -> bool:
    conv = payload if frame["type"] == "conversation" else store.get_conversation(app["db"], frame["conversation_id"])
    return conv is not None and shops.of(app, conv).id in limit


async def socket(request: web.Request) -> web.StreamResponse:
    app = request.app
    if not auth.allowed_origin(request, app["settings"].PUBLIC_URL):
        raise auth.json_error(403, "origin", "WebSocket from another origin refused.")
    session, agent = auth.current(request)  # 401 before the upgrade
    limit = accounts.shops_of(app["db"], agent)  # an agent limited to some shops hears only theirs
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT)
    await ws.prepare(request)
    sockets = _sockets(app).setdefault(session["token_hash"], set())
    sockets.add(ws)
    sub = bus.subscribe(app, topics={"conversation", "message"})

    async def pump() -> None:
        async for topic, payload in sub:
            frame = _frame(topic, payload)
            if frame is not None and limit is not None and not _in_shops(app, frame, payload, limit):
                continue
            if frame is not None and not ws.closed:
                await ws.send_json(frame)

    pusher = asyncio.create_task(pump(), name="agent-ws")
    try:
        await ws.send_json({"type": "hello"})
        async for msg in ws:  # the console sends nothing; reading keeps the socket alive
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await pusher
        bus.unsubscribe(app, sub)
        sockets.discard(ws)
    return ws
