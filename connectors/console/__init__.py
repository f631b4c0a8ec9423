"""Agent console (/agent): login, queue, conversation view, replies. Owned by the agent-console work.

`setup(app)` is called by the gateway's app factory: it adds the console's tables, routes and
static files. Layout: `accounts` (agents table, argon2), `auth` (sessions, CSRF, login limits),
`views` (JSON API), `live` (WebSocket), `cli` (`helpdesk agents`), `static/` (the page).
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from connectors.console import accounts, auth, live, views

STATIC = Path(__file__).parent / "static"

# The page loads only its own files: no CDN, no inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


async def index(request: web.Request) -> web.FileResponse:
    """The single page: it shows the login form or the console depending on /agent/api/me."""
    return web.FileResponse(STATIC / "index.html", headers=_page_headers())


def _page_headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


async def _no_store(request: web.Request, response: web.StreamResponse) -> None:
    """API answers hold customer data: never cache them."""
    if request.path.startswith("/agent/api/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"


async def _warm_faq(app: web.Application) -> None:
    """Load the FAQ searcher in a thread at startup so the first suggestion isn't a 15 s wait."""
    import asyncio
    import logging

    def warm() -> None:
        try:
            from faq import service

            service.search("factuur", k=1, lang="nl")
        except Exception as exc:  # noqa: BLE001 - suggestions then report themselves unavailable
            logging.getLogger(__name__).warning("FAQ warm-up failed: %s", exc)

    asyncio.get_running_loop().run_in_executor(None, warm)


def _business_hours():
    """BUSINESS_HOURS/BUSINESS_TZ parsed once; a typo is logged loudly and the default is used,
    so a bad setting can't take the whole gateway (and every channel) down."""
    import logging

    from connectors import hours

    try:
        return hours.from_settings()
    except ValueError as exc:
        logging.getLogger(__name__).error("%s; using %r in %s instead", exc, hours.DEFAULT_SPEC, hours.DEFAULT_TZ)
        return hours.parse(None)


def setup(app: web.Application) -> None:
    """Register the console's routes on the gateway app."""
    app["business_hours"] = _business_hours()
    app["agent_login_limiter"] = auth.LoginLimiter()
    app["agent_sockets"] = {}
    app.router.add_get("/agent", index)
    app.router.add_get("/agent/", index)
    app.router.add_static("/agent/static/", STATIC, show_index=False)
    app.router.add_get("/agent/ws", live.socket)
    views.add_routes(app)
    app.on_response_prepare.append(_no_store)
    app.on_startup.append(_warm_faq)
