"""Console sessions, CSRF tokens, origin checks and the failed-login limiter.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the server stores only its
SHA-256 (a stolen DB file can't be replayed as a cookie). Each session has its own CSRF token that
the page reads from `/agent/api/me` and sends back in `X-CSRF-Token` on every state-changing call.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

from aiohttp import web
from sqlite_utils import Database

from connectors import sql
from connectors.console import accounts

COOKIE = "helpdesk_agent"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12
MAX_FAILURES = 5          # per email and per client address ...
FAILURE_WINDOW = 15 * 60  # ... within this many seconds, then 429 until the window has passed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(db: Database, agent_id: int, hours: int = SESSION_HOURS) -> tuple[str, str]:
    """New session for an agent; returns (cookie token, csrf token). Only the token's hash is kept."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.timezone.utc)
    db.execute("INSERT INTO agent_sessions (token_hash, agent_id, csrf_token, created_at, expires_at)"
               " VALUES (?,?,?,?,?)",
               (_hash(token), agent_id, csrf, now.isoformat(timespec="seconds"),
                (now + dt.timedelta(hours=hours)).isoformat(timespec="seconds")))
    return token, csrf


def lookup(db: Database, token: str | None) -> tuple[dict, dict] | None:
    """(session, agent) for a live cookie token, else None (expired sessions are deleted)."""
    if not token:
        return None
    session = sql.row(db, "SELECT * FROM agent_sessions WHERE token_hash=?", (_hash(token),))
    if session is None:
        return None
    if session["expires_at"] <= accounts.now_iso():
        db.execute("DELETE FROM agent_sessions WHERE token_hash=?", (session["token_hash"],))
        return None
    agent = accounts.get(db, session["agent_id"])
    return (session, agent) if agent else None


def end_session(db: Database, token: str | None) -> None:
    if token:
        db.execute("DELETE FROM agent_sessions WHERE token_hash = ?", (_hash(token),))


class LoginLimiter:
    """Counts failed logins per key (email, client address) in a sliding window, in memory.

    In memory on purpose: one gateway process, and a restart merely resets the counters.
    """

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q, cutoff = self._failures[key], time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login attempt is allowed again (0 = allowed now)."""
        waits = [self._recent(k)[0] + self.window - time.monotonic()
                 for k in keys if len(self._recent(k)) >= self.max_failures]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: str) -> None:
        for k in keys:
            self._recent(k).append(time.monotonic())

    def succeeded(self, email_key: str) -> None:
        self._failures.pop(email_key, None)


def json_error(status: int, code: str, message: str, **headers: str) -> web.HTTPException:
    """An HTTP error with a JSON body `{"error": code, "message": ...}` the console can show."""
    cls = web.HTTPException
    for candidate in (web.HTTPBadRequest, web.HTTPUnauthorized, web.HTTPForbidden, web.HTTPNotFound,
                      web.HTTPConflict, web.HTTPRequestEntityTooLarge, web.HTTPUnprocessableEntity,
                      web.HTTPTooManyRequests, web.HTTPBadGateway, web.HTTPServiceUnavailable):
        if candidate.status_code == status:
            cls = candidate
    return cls(text=json.dumps({"error": code, "message": message}),
               content_type="application/json", headers=headers or None)


def secure_cookies(settings_public_url: str | None) -> bool:
    return bool(settings_public_url and settings_public_url.lower().startswith("https://"))


def allowed_origin(request: web.Request, public_url: str | None) -> bool:
    """Browser Origin must be this server (as addressed) or PUBLIC_URL's origin."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    candidates = {f"{request.scheme}://{request.host}".lower()}
    if public_url:
        p = urlsplit(public_url)
        candidates.add(f"{p.scheme}://{p.netloc}".lower())
    return f"{parts.scheme}://{parts.netloc}".lower() in candidates


def current(request: web.Request) -> tuple[dict, dict]:
    """(session, agent) of the request or 401."""
    found = lookup(request.app["db"], request.cookies.get(COOKIE))
    if not found:
        raise json_error(401, "unauthenticated", "Log in first.")
    return found


def require_csrf(request: web.Request, session: dict) -> None:
    """403 unless the request carries this session's CSRF token in the header."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, session["csrf_token"]):
        raise json_error(403, "csrf", "Missing or wrong CSRF token; reload the page.")
