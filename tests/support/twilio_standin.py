"""A local stand-in for Twilio's REST Messages API, speaking its wire format.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with a form body (To, From, Body,
StatusCallback), HTTP Basic auth (account SID, auth token), and `GET` on the same path: Twilio's
paged message list, newest first, filtered by `To` / `From`, `PageSize`. Success: 201 and Twilio's message JSON
(sid "SM" + 32 hex, status "queued"). Failure: Twilio's error JSON `{code, message, more_info,
status}`. When a StatusCallback URL is given it later POSTs signed `sent` and `delivered` callbacks,
as Twilio does. Content API: `ContentSid` (an approved `HX...` template, see `approve_template`) +
`ContentVariables` (a JSON object {"1": "...", ...} with exactly the template's placeholders), else
Twilio's 21655/21656 errors. Inbound media: `add_media` hosts a file at a MediaUrl that, like
Twilio's, needs the account's basic auth. It runs in its own thread and loop so both blocking and async tests can use it.
"""
from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import socket
import threading
import time
from email.utils import formatdate

from aiohttp import ClientSession, web
from twilio.request_validator import RequestValidator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


class TwilioStandIn:
    """Start with `.start()`; read `.messages`; inject failures with `.fail_next(...)`."""

    def __init__(self, account_sid: str, auth_token: str, send_callbacks: bool = True):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.send_callbacks = send_callbacks
        self.messages: list[dict] = []
        self.requests = 0
        self.callbacks: list[tuple[str, dict, int]] = []  # (url, params, gateway's status code)
        self.templates: dict[str, int] = {}  # approved Content SIDs -> number of variables
        self.media: dict[str, tuple[bytes, str]] = {}  # media path -> (bytes, content type)
        self.media_fetches: list[tuple[str, bool]] = []  # (path, authorized)
        self.callback_statuses = ("sent", "delivered")
        self._failures: list[tuple[int, int, str] | None] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"

    # --- control from tests -------------------------------------------------------------
    def fail_next(self, status: int, code: int, message: str, count: int = 1, skip: int = 0) -> None:
        """The next `count` requests (after `skip` successful ones) get this Twilio error."""
        with self._lock:
            self._failures.extend([None] * skip + [(status, code, message)] * count)

    def approve_template(self, variables: int = 0) -> str:
        """Register an approved template; returns its Content SID (HX...)."""
        sid = "HX" + secrets.token_hex(16)
        self.templates[sid] = variables
        return sid

    def add_media(self, data: bytes, content_type: str) -> str:
        """Host an inbound media file as Twilio does; returns its MediaUrl (needs basic auth)."""
        path = (f"/2010-04-01/Accounts/{self.account_sid}/Messages/MM{secrets.token_hex(16)}"
                f"/Media/ME{secrets.token_hex(16)}")
        self.media[path] = (data, content_type)
        return self.base_url + path

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.callbacks.clear()
            self.media_fetches.clear()
            self.callback_statuses = ("sent", "delivered")
            self._failures.clear()
            self.requests = 0

    def wait_for(self, n: int, timeout: float = 20.0, to: str | None = None) -> list[dict]:
        """Block until at least n messages (to `to`, if given) arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                got = [m for m in self.messages if to is None or m["to"] == to]
            if len(got) >= n or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    # --- server -------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
        except Exception:
            return False
        return user == self.account_sid and pw == self.auth_token

    def _refused(self, request: web.Request) -> web.Response | None:
        """Count the request; Twilio's 401 / 404 for bad credentials or another account."""
        self.requests += 1
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        if refused := self._refused(request):
            return refused
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return _error(*failure)
        form = await request.post()
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required.")
        content_sid, content_vars = form.get("ContentSid"), form.get("ContentVariables")
        variables = None
        if content_sid is not None:
            # Content API: an approved template instead of Body (allowed outside the 24-hour window).
            if not re.fullmatch(r"HX[0-9a-f]{32}", content_sid) or content_sid not in self.templates:
                return _error(400, 21655, "The ContentSid is Invalid")
            try:
                variables = json.loads(content_vars) if content_vars is not None else {}
            except ValueError:
                return _error(400, 21656, "The ContentVariables Parameter is invalid")
            wanted = {str(i) for i in range(1, self.templates[content_sid] + 1)}
            if (not isinstance(variables, dict) or set(variables) != wanted
                    or not all(isinstance(v, str) for v in variables.values())):
                return _error(400, 21656, "The ContentVariables Parameter is invalid")
            body = f"(template {content_sid})"
        elif content_vars is not None:
            return _error(400, 21656, "ContentVariables without ContentSid")
        if not body and not form.get("MediaUrl"):
            return _error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if from_.startswith("whatsapp:") != to.startswith("whatsapp:"):
            return _error(400, 63007, "Twilio could not find a Channel with the specified From address")
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True).replace("GMT", "+0000")
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        record = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": None,
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
        }
        record["num_media"] = str(len(form.getall("MediaUrl", [])))
        with self._lock:
            self.messages.append(dict(record, status_callback=form.get("StatusCallback"),
                                      content_sid=content_sid, content_variables=variables,
                                      media_url=form.getall("MediaUrl", []), received_at=time.monotonic()))
        callback = form.get("StatusCallback")
        if callback and self.send_callbacks:
            asyncio.get_running_loop().create_task(self._callbacks(callback, record))
        return web.json_response(record, status=201)

    async def _list(self, request: web.Request) -> web.Response:
        """Twilio's message list page: {"messages": [...newest first], "page", "page_size", ...}."""
        if refused := self._refused(request):
            return refused
        to, from_ = request.query.get("To"), request.query.get("From")
        size = min(1000, max(1, int(request.query.get("PageSize", "50"))))
        keep = ("status_callback", "media_url", "received_at", "content_sid", "content_variables")
        with self._lock:
            found = [{k: v for k, v in m.items() if k not in keep} for m in reversed(self.messages)
                     if (to is None or m["to"] == to) and (from_ is None or m["from"] == from_)][:size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json?PageSize={size}&Page=0"
        return web.json_response({
            "messages": found, "end": max(0, len(found) - 1), "first_page_uri": uri,
            "next_page_uri": None, "page": 0, "page_size": size, "previous_page_uri": None,
            "start": 0, "uri": uri,
        })

    async def _media(self, request: web.Request) -> web.Response:
        """GET MediaUrl: the file, with the account's basic auth (Twilio's "HTTP Basic Auth for media")."""
        ok = self._authorized(request)
        self.media_fetches.append((request.path, ok))
        if not ok:
            return _error(401, 20003, "Authenticate")
        found = self.media.get(request.path)
        if found is None:
            return _error(404, 20404, "The requested resource was not found")
        return web.Response(body=found[0], content_type=found[1])

    async def _callbacks(self, url: str, record: dict) -> None:
        """Twilio POSTs form-encoded, signed status callbacks for each state change."""
        validator = RequestValidator(self.auth_token)
        async with ClientSession() as http:
            for status in self.callback_statuses:
                await asyncio.sleep(0.05)
                params = {
                    "AccountSid": self.account_sid,
                    "MessageSid": record["sid"],
                    "SmsSid": record["sid"],
                    "MessageStatus": status,
                    "SmsStatus": status,
                    "From": record["from"],
                    "To": record["to"],
                    "ApiVersion": "2010-04-01",
                }
                sig = validator.compute_signature(url, params)
                try:
                    async with http.post(url, data=params, headers={"X-Twilio-Signature": sig}) as r:
                        self.callbacks.append((url, params, r.status))
                except Exception:
                    self.callbacks.append((url, params, 0))

    def start(self) -> "TwilioStandIn":
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
            app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self._list)
            app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{msid}/Media/{mid}", self._media)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()
            pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
            for task in pending:  # status callbacks still waiting: stop them cleanly
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="twilio-standin", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("twilio stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)
