"""Chaos run (issue 12): web-chat load while the gateway is killed -9 twice and Rasa once.

    python bench/chaos.py [-n 10] [--turns 8] [--seconds 90]

Starts its own `helpdesk up` (free ports, its own database and logs in a temp dir, RASA_SERVERS=1
unless set), which restarts what is killed. Each conversation sends `--turns` questions over
/ws/chat, each with a client message id: it resends a message until the server acknowledges it
(the id makes a resend harmless) and reconnects with its token after a kill. At the end every
conversation's history is read back. Prints messages sent, answered, lost (sent but not in the
history, or never answered while the bot had the conversation), doubled (stored twice, or the
same reply twice). Target: 0 lost, 0 doubled; exit code 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import questions  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Up:
    """`helpdesk up` as a child; remembers each supervised child's current pid from its output."""

    def __init__(self, workdir: Path, port: int) -> None:
        env = dict(os.environ, HELPDESK_PORT=str(port), RASA_PORT=str(free_port()),
                   ACTIONS_PORT=str(free_port()), HELPDESK_DB=str(workdir / "helpdesk.db"),
                   HELPDESK_LOG_DIR=str(workdir / "log"), PYTHONPATH=str(ROOT))
        env.setdefault("RASA_SERVERS", "1")
        self.pids: dict[str, int] = {}
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from helpdesk.cli import cli; cli()", "up"], cwd=workdir, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            found = re.search(r"(?:started|restarted) (\S+) \(pid (\d+)", line)
            if found:
                self.pids[found.group(1)] = int(found.group(2))

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.endswith("ready:") for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("helpdesk up did not get ready:\n" + "\n".join(self.lines[-30:]))
            time.sleep(0.5)

    def kill(self, name: str) -> int:
        """SIGKILL the child's current process (after waiting for its restart if it is still down)."""
        deadline = time.monotonic() + 120
        while True:
            pid = self.pids[name]
            try:
                os.kill(pid, signal.SIGKILL)
                return pid
            except ProcessLookupError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


class Conversation:
    def __init__(self, n: int, lang: str) -> None:
        self.n, self.lang = n, lang
        self.token: str | None = None
        self.sent = 0
        self.answered = 0
        self.reconnects = 0
        self.handoff = False  # a person has it now: the bot's turns end there (as in bench/load.py)


async def _frames(ws, timeout: float):
    while True:
        msg = await ws.receive(timeout=timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError("socket closed")
        yield json.loads(msg.data)


async def turn(session: aiohttp.ClientSession, url: str, conv: Conversation, text: str, client_id: str,
               timeout: float) -> bool:
    """Deliver one message (resent until acknowledged) and wait for the bot's reply; survive kills."""
    acked = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        query = f"token={conv.token}" if conv.token else f"lang={conv.lang}"
        try:
            async with session.ws_connect(f"{url.replace('http', 'ws', 1)}/ws/chat?{query}") as ws:
                async for frame in _frames(ws, max(1.0, deadline - time.monotonic())):
                    kind = frame.get("type")
                    if kind == "session":
                        conv.token = frame.get("token") or conv.token
                    elif kind == "history":
                        items = frame["messages"]
                        stored = sum(1 for m in items if m["from"] == "customer")
                        if stored >= conv.sent:  # ours is stored (acknowledged before a kill)
                            acked = True
                            if items and items[-1]["from"] != "customer":
                                return True  # answered while we were away
                        if not acked:
                            await ws.send_json({"type": "message", "text": text, "id": client_id})
                    elif kind == "ack" and frame.get("id") == client_id:
                        acked = True
                    elif kind == "state" and frame.get("state") in ("pending", "agent"):
                        conv.handoff = True
                        return False
                    elif kind == "message" and frame.get("from") in ("bot", "agent") and acked:
                        return True
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError, OSError):
            pass
        conv.reconnects += 1
        await asyncio.sleep(0.5)
    return False


async def run_conversation(session, url: str, conv: Conversation, qs: list[str], turns: int,
                           think: tuple[float, float], timeout: float) -> None:
    await asyncio.sleep(random.uniform(0, think[1]))
    for i in range(turns):
        conv.sent += 1
        if await turn(session, url, conv, random.choice(qs), f"chaos-{conv.n}-{i}", timeout):
            conv.answered += 1
        if conv.handoff:
            break
        await asyncio.sleep(random.uniform(*think))


async def check(session, url: str, conv: Conversation) -> tuple[int, int, int]:
    """(lost, doubled, unanswered) from the history the server kept."""
    if not conv.token:
        return conv.sent, 0, 0
    async with session.ws_connect(f"{url.replace('http', 'ws', 1)}/ws/chat?token={conv.token}") as ws:
        history, state = None, None
        async for frame in _frames(ws, 30):
            if frame["type"] == "history":
                history = frame["messages"]
            elif frame["type"] == "state":
                state = frame["state"]
                break
    customer = [m for m in history if m["from"] == "customer"]
    doubled = max(0, len(customer) - conv.sent)
    unanswered = 0
    for i, m in enumerate(history):
        if m["from"] != "customer":
            continue
        replies = []
        for later in history[i + 1:]:
            if later["from"] == "customer":
                break
            replies.append(later["text"])
        doubled += len(replies) - len(set(replies))
        if not replies and state == "bot":
            unanswered += 1
    return max(0, conv.sent - len(customer)) + unanswered, doubled, unanswered


async def load(url: str, args, up: Up) -> int:
    random.seed(args.seed)
    qs = questions()
    convs = [Conversation(i, "nl" if i % 2 == 0 else "fr") for i in range(args.conversations)]
    think = tuple(float(x) for x in args.think.split(","))
    kills = [(args.seconds * 0.2, "gateway"), (args.seconds * 0.4, "rasa"), (args.seconds * 0.65, "gateway")]

    async def chaos(t0: float) -> None:
        for at, name in kills:
            await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
            pid = await asyncio.to_thread(up.kill, name)
            print(f"+{time.monotonic() - t0:5.1f} s  kill -9 {name} (pid {pid})", flush=True)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        t0 = time.monotonic()
        monkey = asyncio.create_task(chaos(t0))
        await asyncio.gather(*(run_conversation(session, url, c, qs[c.lang], args.turns, think, args.timeout)
                               for c in convs))
        await monkey
        elapsed = time.monotonic() - t0
        await asyncio.sleep(args.settle)
        results = await asyncio.gather(*(check(session, url, c) for c in convs))
    sent = sum(c.sent for c in convs)
    lost = sum(r[0] for r in results)
    doubled = sum(r[1] for r in results)
    print(f"conversations  {len(convs)}, {args.turns} turns each, {elapsed:.0f} s, "
          f"{sum(c.reconnects for c in convs)} reconnects, {sum(c.handoff for c in convs)} handed off")
    print(f"sent           {sent}")
    print(f"answered       {sum(c.answered for c in convs)} (within {args.timeout:.0f} s of sending)")
    print(f"lost           {lost} (of which never answered: {sum(r[2] for r in results)})")
    print(f"doubled        {doubled}")
    return 0 if lost == 0 and doubled == 0 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", "-n", type=int, default=10)
    ap.add_argument("--turns", type=int, default=8)
    ap.add_argument("--think", default="2,5", help="seconds between turns: min,max")
    ap.add_argument("--seconds", type=float, default=90.0, help="the kills happen at 20%%, 40%% and 65%% of this")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds one turn may take (Rasa reloads ~1 min)")
    ap.add_argument("--settle", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="helpdesk-chaos-") as tmp:
        up = Up(Path(tmp), port)
        try:
            up.wait_ready(600)
            print(f"helpdesk up ready on :{port}", flush=True)
            return asyncio.run(load(f"http://127.0.0.1:{port}", args, up))
        finally:
            up.stop()


if __name__ == "__main__":
    sys.exit(main())
