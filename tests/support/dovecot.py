"""A private Dovecot IMAP server on a free loopback port, for email tests.

Config per /work/shared/docs/ground-facts.md: its own base/state dirs, plain-text passwd-file,
maildir owned by nobody (uid 65534), no SSL. `append()` delivers a raw mail the way an MTA would
(IMAP APPEND), so the gateway's poller reads it through the real protocol.
"""
from __future__ import annotations

import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONF = """\
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
instance_name = helpdesk-test-{port}
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 500
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={dir}/mail/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def available() -> bool:
    return Path(DOVECOT).exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """Start with `.start()`; users are added before start with `users={name: password}`."""

    def __init__(self, users: dict[str, str]):
        self.users = users
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Dovecot":
        os.chmod(self.dir, 0o755)
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        os.chown(self.dir / "mail", 65534, 65534)
        (self.dir / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))
        (self.dir / "dovecot.conf").write_text(CONF.format(dir=self.dir, port=self.port))
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.proc.stderr.read().decode()[:2000]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not open its port")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers for tests ---------------------------------------------------------------
    def connect(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(user, self.users[user])
        return conn

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a mail (unseen) into the user's folder."""
        conn = self.connect(user)
        try:
            if folder != "INBOX":
                conn.create(folder)
            typ, data = conn.append(folder, None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            assert typ == "OK", data
        finally:
            conn.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[str, bool]:
        """Message-ID header -> seen? for every mail in the folder."""
        conn = self.connect(user)
        try:
            conn.select(folder)
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            out = {}
            for item in data:
                if isinstance(item, tuple):
                    header = item[1].decode(errors="replace").split(":", 1)[-1].strip()
                    out[header] = b"\\Seen" in item[0]
            return out
        finally:
            conn.logout()

    def clear(self, user: str, folder: str = "INBOX") -> None:
        conn = self.connect(user)
        try:
            conn.select(folder)
            typ, data = conn.search(None, "ALL")
            if data and data[0]:
                conn.store(b",".join(data[0].split()).decode(), "+FLAGS", "(\\Deleted)")
                conn.expunge()
        finally:
            conn.logout()
