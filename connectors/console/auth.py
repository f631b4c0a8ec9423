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
from collections import OrderedDict, deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from sqlite_utils import Database

from helpdesk import sql
from connectors.console import accounts

COOKIE = "helpdesk_agent"
CSRF_HEADER = "X-CSRF-Token"
SESSION_HOURS = 12
MAX_FAILURES = 5          # per client address ...
FAILURE_WINDOW = 15 * 60  # ... within this many seconds, then 429 until the window has passed
MAX_ACCOUNT_DELAY = 60.0  # longest per-account delay (seconds) for addresses that failed before
MAX_TRACKED = 10_000      # addresses / accounts the limiter remembers (least recently used go)


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
    if agent is None or not accounts.active(agent):
        db.execute("DELETE FROM agent_sessions WHERE token_hash = ?", [session["token_hash"]])
        db.conn.commit()
        return None
    return session, agent


def end_agent_sessions(db: Database, agent_id: int) -> int:
    """End every session of one agent (disable, remove, password reset). Open console sockets
    notice within `live.SESSION_CHECK` seconds, also in another process's gateway."""
    cur = db.execute("DELETE FROM agent_sessions WHERE agent_id = ?", [agent_id])
    db.conn.commit()
    return cur.rowcount


def release_agent_conversations(db: Database, agent_id: int) -> int:
    """Put a leaving agent's conversations back in the queue, so no customer waits on nobody."""
    from connectors import store

    ts = store.now()
    cur = db.execute(
        "UPDATE conversations SET state='pending', assigned_agent_id=NULL, pending_since=?, updated_at=?"
        " WHERE state='agent' AND assigned_agent_id=?", [ts, ts, agent_id])
    db.conn.commit()
    return cur.rowcount


def end_session(db: Database, token: str | None) -> None:
    if token:
        db.execute("DELETE FROM agent_sessions WHERE token_hash = ?", (_hash(token),))


class _LRU(OrderedDict):
    """A dict that forgets its least recently used keys beyond `size` (bounded memory)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def touch(self, key: str, default):
        value = self.get(key)
        if value is None:
            value = self[key] = default()
            while len(self) > self.size:
                self.popitem(last=False)
        else:
            self.move_to_end(key)
        return value


class LoginLimiter:
    """Failed logins per client address and per account, in memory, bounded (LRU).

    - Per client address (proxy-aware, connectors.client_address): `max_failures` in `window`,
      then 429 until the oldest failure ages out. Only that address waits.
    - Per account: from the `max_failures`-th failure on (from anywhere), each further failure
      doubles a delay (1 s, 2 s, ... `max_delay`) during which only *clean* addresses (no failure
      of their own in the window) may try. So nobody can lock the real agent out by failing on
      their account, yet guesses spread over many addresses still slow down.
    - `reserve` checks and counts in one step, before the argon2 check: a parallel burst can't
      slip past the limit while the first hashes are still running. A correct password gives
      its reservation back (`succeeded`); a wrong one keeps it (`failed`).

    In memory on purpose: one gateway process, and a restart merely resets the counters.
    """

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW,
                 max_delay: float = MAX_ACCOUNT_DELAY, max_keys: int = MAX_TRACKED) -> None:
        self.max_failures, self.window, self.max_delay = max_failures, window, max_delay
        self._addresses: _LRU = _LRU(max_keys)  # address -> deque of failure times (incl. reserved)
        self._accounts: _LRU = _LRU(max_keys)   # account -> [failures, window start, not before]

    def __len__(self) -> int:
        return len(self._addresses) + len(self._accounts)

    def _recent(self, address: str) -> deque[float]:
        q, cutoff = self._addresses.touch(address, deque), time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def _account(self, account: str) -> list[float]:
        state = self._accounts.touch(account, lambda: [0, time.monotonic(), 0.0])
        if time.monotonic() - state[1] > self.window:
            state[:] = [0, time.monotonic(), 0.0]
        return state

    def reserve(self, account: str, address: str) -> tuple[int, Reservation | None]:
        """(seconds to wait, None) when refused, else (0, reservation) counted as a failure."""
        now = time.monotonic()
        q = self._recent(address)
        if len(q) >= self.max_failures:
            return int(q[0] + self.window - now) + 1, None
        state = self._account(account)
        if q and state[2] > now:  # an address that failed before waits out the account's delay
            return int(state[2] - now) + 1, None
        q.append(now)
        state[0] += 1
        if state[0] >= self.max_failures:
            delay = min(self.max_delay, 2.0 ** (state[0] - self.max_failures))
            state[2] = max(state[2], now + delay)
        return 0, Reservation(account, address, now)

    def succeeded(self, reservation: Reservation) -> None:
        """The password was right: give the reserved failure back."""
        q = self._addresses.get(reservation.address)
        if q is not None:
            try:
                q.remove(reservation.at)
            except ValueError:
                pass
        state = self._accounts.get(reservation.account)
        if state is not None and state[0] > 0:
            state[0] -= 1

    def failed(self, reservation: Reservation) -> None:
        """The password was wrong: the reservation stays counted."""


@dataclass(frozen=True)
class Reservation:
    account: str
    address: str
    at: float


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
