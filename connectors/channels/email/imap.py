"""Blocking IMAP access with imaplib: list UNSEEN mail without marking it, then mark it seen.

Run in a thread (asyncio.to_thread). Fetches use BODY.PEEK so reading never sets \\Seen: a mail is
marked seen only after the gateway stored it, so a crash in between means it is read again (and
deduplicated on Message-ID), never lost. Each poll opens its own connection: no half-dead
sessions to babysit, and a poll every few seconds is cheap.
"""
from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass

MAX_FETCH_BYTES = 5 * 1024 * 1024  # bigger mails: headers + the first part of the body only
PARTIAL_BYTES = 256 * 1024
BATCH = 50  # mails per poll, so one huge backlog does not hold the loop for long
TIMEOUT = 30.0


class ImapError(Exception):
    """Login, folder or protocol failure (reported on /healthz; the poller retries later)."""


@dataclass
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    use_ssl: bool = True


@dataclass
class RawMail:
    uid: str
    raw: bytes
    truncated: bool = False


def _connect(cfg: ImapSettings) -> imaplib.IMAP4:
    try:
        if cfg.use_ssl:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                cfg.host, cfg.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT
            )
        else:
            conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=TIMEOUT)
        conn.login(cfg.user, cfg.password)
        typ, data = conn.select(_quote(cfg.folder))
        if typ != "OK":
            raise ImapError(f"cannot select folder {cfg.folder!r}: {data!r}")
        return conn
    except (imaplib.IMAP4.error, OSError) as exc:
        raise ImapError(f"IMAP {cfg.host}:{cfg.port}: {exc}") from exc


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except Exception:
        pass


def _literal(data: list) -> bytes:
    """The message bytes from a FETCH response (tuples of (envelope, literal))."""
    return b"".join(item[1] for item in data if isinstance(item, tuple) and len(item) > 1)


def fetch_unseen(cfg: ImapSettings, limit: int = BATCH) -> list[RawMail]:
    """The oldest `limit` UNSEEN mails, still unseen on the server."""
    conn = _connect(cfg)
    try:
        typ, data = conn.uid("SEARCH", None, "UNSEEN")
        if typ != "OK":
            raise ImapError(f"SEARCH failed: {data!r}")
        uids = [u.decode() for u in (data[0] or b"").split()][:limit]
        mails = []
        for uid in uids:
            typ, data = conn.uid("FETCH", uid, "(RFC822.SIZE)")
            match = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d))
            size = int(match.group(1)) if match else 0
            if size > MAX_FETCH_BYTES:
                typ, head = conn.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
                typ2, body = conn.uid("FETCH", uid, f"(BODY.PEEK[TEXT]<0.{PARTIAL_BYTES}>)")
                mails.append(RawMail(uid, _literal(head) + _literal(body), truncated=True))
            else:
                typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                if typ != "OK":
                    raise ImapError(f"FETCH {uid} failed: {data!r}")
                mails.append(RawMail(uid, _literal(data)))
        return mails
    except (imaplib.IMAP4.error, OSError) as exc:
        raise ImapError(f"IMAP {cfg.host}:{cfg.port}: {exc}") from exc
    finally:
        _logout(conn)


def mark_seen(cfg: ImapSettings, uids: list[str]) -> None:
    """Set \\Seen on mails the gateway has stored."""
    if not uids:
        return
    conn = _connect(cfg)
    try:
        typ, data = conn.uid("STORE", ",".join(uids), "+FLAGS.SILENT", "(\\Seen)")
        if typ != "OK":
            raise ImapError(f"STORE failed: {data!r}")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise ImapError(f"IMAP {cfg.host}:{cfg.port}: {exc}") from exc
    finally:
        _logout(conn)


def check(cfg: ImapSettings) -> None:
    """Log in and select the folder; raises ImapError (used at start-up and for health)."""
    _logout(_connect(cfg))
