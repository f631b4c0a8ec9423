"""The one place tests get a free port and wait for something, instead of sleeping.

`wait_until` fails the test when the condition never holds (a wait that silently returns lets a
broken feature pass). `settle` replaces "sleep, then assert nothing else happened": it waits until
the gateway has nothing left to do (no message being routed, no delivery in flight, nothing due in
the outbox) and the stored messages stop changing, so a second, unwanted reply would be in the
store by the time the test looks.
"""
from __future__ import annotations

import asyncio
import socket
import time
from typing import Any, Callable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fail(what: str | None, timeout: float, last: Any) -> AssertionError:
    return AssertionError(f"timed out after {timeout:.1f} s waiting for {what or 'condition'}; last value: {last!r}")


async def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05,
                     what: str | None = None) -> Any:
    """Poll `predicate` until it returns something truthy and return it; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _fail(what, timeout, value)
        await asyncio.sleep(interval)


def wait_until_sync(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05,
                    what: str | None = None) -> Any:
    """`wait_until` for code outside the event loop (subprocesses, servers in threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _fail(what, timeout, value)
        time.sleep(interval)


def _gateway_busy(app) -> bool:
    if any(not t.done() for t in app.get("flow_tasks", ())):
        return True
    if any(not t.done() for t in app.get("outbox_inflight", {}).values()):
        return True
    row = app["db"].execute(
        "SELECT COUNT(*) FROM messages WHERE direction='out' AND status='queued' AND internal=0"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%f+00:00','now'))"
    ).fetchone()
    return bool(row[0])


def _fingerprint(app) -> tuple:
    return tuple(app["db"].execute(
        "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(LENGTH(status)), 0) FROM messages").fetchone())


async def settle(app, quiet: float = 0.3, timeout: float = 15.0, extra: Callable[[], Any] | None = None) -> None:
    """Wait until the gateway `app` is idle and its messages (and `extra()`, e.g. a stand-in's sent
    list) stayed unchanged for `quiet` seconds. Fails the test if it never settles."""
    deadline = time.monotonic() + timeout
    last = None
    stable_since = time.monotonic()
    while True:
        now = time.monotonic()
        state = (_fingerprint(app), extra() if extra else None)
        if _gateway_busy(app) or state != last:
            last, stable_since = state, now
        elif now - stable_since >= quiet:
            return
        if now >= deadline:
            raise _fail("the gateway to settle", timeout, state)
        await asyncio.sleep(0.05)
