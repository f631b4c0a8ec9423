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
SESSION_CHECK = 2.0  # seconds between checks that the socket's session still exists


def _sockets(app: web.Application) -> dict[str, set[web.WebSocketResponse]]:
    return app["agent_sockets"]


async def close_session_sockets(app: web.Application, token_hash: str) -> None:
    """Logout ends the session's live sockets too."""
    for ws in list(_sockets(app).pop(token_hash, ())):
        await ws.close(code=4401, message=b"logged out")


def _session_alive(app: web.Application, token_hash: str) -> bool:
    """Is the session still there, unexpired, its agent present and not disabled?

    `helpdesk agents disable|remove` and a password reset run in another process: they can only
    delete the session rows, so every socket looks its session up again every SESSION_CHECK s."""
    row = app["db"].execute("SELECT s.expires_at, a.disabled_at, a.id FROM agent_sessions s"
                            " LEFT JOIN agents a ON a.id = s.agent_id WHERE s.token_hash = ?",
                            [token_hash]).fetchone()
    return row is not None and row[2] is not None and not row[1] and row[0] > auth.accounts.now_iso()


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
        while True:  # the console sends nothing; reading keeps the socket alive
            try:
                msg = await ws.receive(timeout=SESSION_CHECK)
            except asyncio.TimeoutError:
                if not _session_alive(app, session["token_hash"]):
                    log.info("console socket closed: session ended")
                    await ws.close(code=4401, message=b"session ended")
                    break
                continue
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
    finally:
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await pusher
        bus.unsubscribe(app, sub)
        sockets.discard(ws)
    return ws
