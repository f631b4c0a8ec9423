"""Private Postgres and Redis servers for the scale-out tests: own data dir, own free loopback port.

Debian's binaries (`postgresql`, `redis-server`, installed by scripts/system-deps). initdb refuses
to run as root, so when we are root Postgres runs as `nobody` in a data dir that user owns.
Callers skip with a clear message when a binary is missing (`missing()`).
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from support.rasa_stack import _die_with_parent, free_port

START_TIMEOUT = 60.0


def pg_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing() -> list[str]:
    """Which engines cannot run here (for a skip message)."""
    out = []
    if pg_bin_dir() is None:
        out.append("postgresql (initdb/postgres: apt-get install postgresql, or scripts/system-deps)")
    if shutil.which("redis-server") is None:
        out.append("redis-server (apt-get install redis-server, or scripts/system-deps)")
    return out


def _as_nobody() -> None:
    _die_with_parent()
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)


def _wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    import socket

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.args[0]} not listening on {port} after {START_TIMEOUT:.0f} s")


@dataclass
class Postgres:
    port: int
    root: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"postgresql://helpdesk@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """A fresh empty database; its URL (each test gets its own, no cleanup between tests)."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://helpdesk@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> Postgres:
    bindir = pg_bin_dir()
    if bindir is None:
        raise RuntimeError("postgresql binaries not found")
    root = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
    os.chmod(root, 0o755)
    data = root / "data"
    data.mkdir(mode=0o700)
    if os.getuid() == 0:
        os.chown(root, 65534, 65534)
        os.chown(data, 65534, 65534)
    log = root / "postgres.log"
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", "helpdesk", "-A", "trust", "-E", "UTF8",
                    "--no-sync", "--no-instructions"], check=True, capture_output=True, preexec_fn=_as_nobody,
                   cwd=root)
    port = free_port()
    out = open(log, "wb")
    proc = subprocess.Popen([str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                             "-k", str(root), "-c", "fsync=off", "-c", "synchronous_commit=off",
                             "-c", "full_page_writes=off", "-c", "max_connections=200",
                             "-c", "shared_buffers=32MB"],
                            stdout=out, stderr=subprocess.STDOUT, preexec_fn=_as_nobody, cwd=root)
    server = Postgres(port, root, proc)
    try:
        _wait_port(port, proc, log)
        deadline = time.monotonic() + START_TIMEOUT
        import psycopg

        while True:  # listening is not accepting: wait for the end of start-up
            try:
                psycopg.connect(server.url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Redis:
    port: int
    root: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def start_redis() -> Redis:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found")
    root = Path(tempfile.mkdtemp(prefix="helpdesk-redis-"))
    port = free_port()
    log = root / "redis.log"
    out = open(log, "wb")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(root), "--daemonize", "no",
                             "--protected-mode", "yes"],
                            stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, cwd=root)
    server = Redis(port, root, proc)
    try:
        _wait_port(port, proc, log)
    except BaseException:
        server.stop()
        raise
    return server
