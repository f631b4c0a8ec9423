"""A real SMTP server (aiosmtpd) on loopback that keeps every mail it receives, for email tests.

Optional AUTH (plain/login over the cleartext loopback link) checks that the gateway logs in;
a refused login answers `AuthResult(success=False, handled=False)` so the client does not hang.
"""
from __future__ import annotations

import email
import socket
import threading
import time
from email.message import Message
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.reject_rcpt_code:
            code = self.sink.reject_rcpt_code
            return f"{code} {'try again later' if code < 500 else 'no such user'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.sink.lock:
            self.sink.messages.append({
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "raw": envelope.content,
                "message": msg,
                "authenticated": bool(getattr(session, "authenticated", False)),
            })
        return "250 Message accepted"


class SmtpSink:
    def __init__(self, user: str | None = None, password: str | None = None):
        self.user, self.password = user, password
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.reject_rcpt_code = 0
        self.port = _free_port()
        kwargs = {}
        if user:
            kwargs = {"authenticator": self._auth, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)

    def _auth(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
                and auth_data.password.decode() == self.password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
        self.reject_rcpt_code = 0

    def wait_for(self, n: int, timeout: float = 30.0, to: str | None = None) -> list[Message]:
        """Block until n mails (to `to`, if given) arrived; return their parsed messages."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = [m["message"] for m in self.messages if to is None or to in m["rcpt_tos"]]
            if len(got) >= n or time.monotonic() > deadline:
                return got
            time.sleep(0.05)
