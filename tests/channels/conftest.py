"""Fixtures for the WhatsApp and email channels: real servers on loopback, the real gateway app.

- `twilio`: the Twilio REST stand-in (tests/support/twilio_standin.py), one per session.
- `dovecot`: a private Dovecot IMAP server, one per session; `smtp_sink`: a real aiosmtpd server.
- `make_gateway(...)`: the core's `create_app` on a fresh SQLite file, served on a free port with
  PUBLIC_URL pointing at it, the channel settings filled in.
"""
from __future__ import annotations

import asyncio
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from support.dovecot import Dovecot, available as dovecot_available
from support.smtp_sink import SmtpSink
from support.twilio_standin import TwilioStandIn

from channels_support import (ACCOUNT_SID, AUTH_TOKEN, MAILBOX, MAILBOX_PASSWORD, SMTP_PASSWORD, SMTP_USER,
                              free_port)

_CHANNEL_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WHATSAPP_FROM", "TWILIO_API_BASE_URL",
                "PUBLIC_URL", "TRUST_PROXY_HEADERS", "IMAP_HOST", "IMAP_PORT", "IMAP_USER", "IMAP_PASSWORD",
                "IMAP_FOLDER", "IMAP_SSL", "IMAP_POLL_SECONDS", "SMTP_HOST", "SMTP_PORT", "SMTP_USER",
                "SMTP_PASSWORD", "SMTP_STARTTLS", "SMTP_FROM", "SMTP_SSL")


@pytest.fixture(autouse=True)
def _no_ambient_channel_env(monkeypatch):
    """Tests say every channel setting themselves; a developer's .env must not leak in."""
    for name in _CHANNEL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def twilio():
    standin = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def dovecot():
    if not dovecot_available():
        pytest.fail("dovecot is not installed: run scripts/system-deps (apt-get install dovecot-imapd)")
    server = Dovecot({MAILBOX: MAILBOX_PASSWORD}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink(SMTP_USER, SMTP_PASSWORD).start()
    yield sink
    sink.stop()


@dataclass
class Gateway:
    app: object
    server: TestServer
    db_path: Path

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        """Read the SQLite file through a separate connection: what really is on disk."""
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()


@pytest.fixture
async def make_gateway(tmp_path):
    """Factory: `await make_gateway(settings, rasa_url=None)` -> a running Gateway."""
    started: list[TestServer] = []

    async def make(settings: dict, rasa_url: str | None = None, public_url: str | None = None) -> Gateway:
        from connectors.app import create_app

        port = free_port()
        db_path = tmp_path / f"helpdesk-{len(started)}.db"
        merged = {
            "HELPDESK_DB": str(db_path),
            "HELPDESK_PORT": port,
            "PUBLIC_URL": public_url or f"http://127.0.0.1:{port}",
            "RASA_URL": rasa_url or f"http://127.0.0.1:{free_port()}",
            **settings,
        }
        app = create_app(merged)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        started.append(server)
        return Gateway(app, server, db_path)

    yield make
    for server in started:
        try:
            await asyncio.wait_for(server.close(), 60)
        except asyncio.TimeoutError:  # show what hangs instead of hanging the whole suite
            for task in asyncio.all_tasks():
                print("pending at gateway shutdown:", task.get_name(), file=sys.stderr)
                task.print_stack(limit=6, file=sys.stderr)
            raise
