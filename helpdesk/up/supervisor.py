"""Run several child processes as one service: start, wait for health, restart crashes, stop cleanly.

`helpdesk up` uses it for Rasa, the action server and the gateway. Each child runs in its own
process group (so a terminal's Ctrl-C reaches only us and we stop the children in order) and
logs to its own file. A child that exits while we are not stopping is restarted with backoff.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

STOP_TIMEOUT = 20.0
RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
STABLE_AFTER = 60.0  # a child up this long has its restart backoff reset


@dataclass
class Child:
    """One supervised process and how to tell it is healthy."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    health: Callable[[], bool]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    log_file: object = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the child's whole process group; SIGKILL what is left after `timeout`."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        _signal_group(self.proc.pid, signal.SIGKILL)  # stragglers in the group (grandchildren)
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor itself dies (even by SIGKILL): no orphans."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def http_ok(url: str, check: Callable[[int, object], bool] | None = None, timeout: float = 2.0) -> bool:
    """GET `url`: True on a 2xx (and `check(status, json)` when given). Never raises."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError, ValueError):
        return False
    if check is None:
        return 200 <= status < 300
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return check(status, body)


class Supervisor:
    """Start children in order, keep them running, stop them in reverse order."""

    def __init__(self, children: list[Child], echo: Callable[[str], None] = print) -> None:
        self.children = children
        self.echo = echo
        self.stopping = False

    def request_stop(self, *_args) -> None:
        self.stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)

    def start_all(self) -> None:
        for child in self.children:
            child.start()
            self.echo(f"started {child.name} (pid {child.proc.pid}, log {child.log_path})")

    def wait_healthy(self, timeout: float) -> bool:
        """Until every child is healthy; False on timeout, a stop request, or a child dying."""
        deadline = time.monotonic() + timeout
        pending = list(self.children)
        while pending and not self.stopping:
            for child in list(pending):
                if not child.alive():
                    self.echo(f"{child.name} exited with {child.proc.returncode} while starting:\n"
                              f"{child.tail()}")
                    return False
                if child.health():
                    pending.remove(child)
                    self.echo(f"{child.name} is healthy")
            if time.monotonic() > deadline:
                self.echo("not healthy in time: " + ", ".join(c.name for c in pending))
                return False
            if pending:
                time.sleep(0.5)
        return not self.stopping

    def watch(self, poll: float = 1.0) -> None:
        """Restart crashed children (with backoff) until a stop is requested."""
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.alive():
                    if child.restarts and now - child.started_at > STABLE_AFTER:
                        child.restarts = 0
                    continue
                if child.next_start == 0.0:
                    code = child.proc.returncode if child.proc else None
                    wait = RESTART_BACKOFF[min(child.restarts, len(RESTART_BACKOFF) - 1)]
                    child.next_start = now + wait
                    self.echo(f"{child.name} exited with {code}; restarting in {wait:.0f} s\n{child.tail(10)}")
                elif now >= child.next_start:
                    child.stop(timeout=1)
                    child.restarts += 1
                    child.next_start = 0.0
                    child.start()
                    self.echo(f"restarted {child.name} (pid {child.proc.pid})")
            time.sleep(poll)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.proc is not None:
                self.echo(f"stopping {child.name}")
                child.stop()
