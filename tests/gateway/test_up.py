"""`helpdesk up` as a user runs it: all healthy, a crashed child comes back, SIGTERM leaves no orphans.

It runs two Rasa servers (RASA_SERVERS=2, the default on a 2-core machine), so it also shows that
conversations are spread over them and that both read the same trackers (the SQL tracker store).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from connectors import rasa_client
from helpdesk.paths import MODELS_DIR, ROOT
from helpdesk.tokens import install_token

from .conftest import HEALTH_TOKEN, free_port

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Output:
    """Collects the command's output lines in a thread so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                if m := re.search(pattern, line):
                    return m
            seen = len(self.lines)
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines[-40:]))


def _two_free_ports() -> int:
    """A port p with p and p + 1 both free (RASA_SERVERS=2 uses consecutive ports)."""
    import socket

    for _ in range(50):
        first = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", first + 1))
            except OSError:
                continue
        return first
    raise RuntimeError("no two consecutive free ports")


async def _chat_once(port: int) -> str:
    """Open a web chat, say hello, wait for the bot; returns the conversation id."""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws/chat?lang=nl") as ws:
            first = await ws.receive_json(timeout=10)
            await ws.send_json({"type": "message", "text": "hallo"})
            while True:
                frame = await ws.receive_json(timeout=30)
                if frame.get("type") == "message" and frame.get("from") == "bot":
                    return first["conversation_id"]


def _user_turns(rasa_url: str, sender: str) -> int:
    token = install_token("RASA_TOKEN")
    with urllib.request.urlopen(f"{rasa_url}/conversations/{sender}/tracker?token={token}", timeout=10) as resp:
        return sum(1 for e in json.loads(resp.read())["events"] if e.get("event") == "user")


def test_up_starts_all_restarts_a_crash_and_stops_cleanly(bot_stack, tmp_path):
    assert list(MODELS_DIR.glob("*.tar.gz")), "the bot stack trains the model first"
    port, rasa_port, actions_port = free_port(), _two_free_ports(), free_port()
    env = dict(os.environ, HEALTH_TOKEN=HEALTH_TOKEN, HELPDESK_PORT=str(port), RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port),
               HELPDESK_DB=str(tmp_path / "h.db"), HELPDESK_LOG_DIR=str(tmp_path / "log"),
               ORDERS_DB=bot_stack.orders_db, PYTHONUNBUFFERED="1", RASA_SERVERS="2")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "helpdesk"), "up"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    pids: dict[str, int] = {}
    try:
        for name in ("actions", "rasa", "rasa-2", "gateway"):
            pids[name] = int(out.wait_for(rf"started {name} \(pid (\d+)", 30).group(1))
        out.wait_for(r"ready:", 360)
        out.wait_for(rf"http://127\.0\.0\.1:{port}/", 5)
        rasa_urls = [f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{rasa_port + 1}"]
        for url in rasa_urls:  # warmed before "ready:", so the first customers do not wait for it
            assert re.search(r"(\d+)/\1 turns", out.wait_for(rf"warmed up {re.escape(url)}: .*", 1).group(0))
        assert _health(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})  # no token: no details
        status, body = _health(f"http://127.0.0.1:{port}/healthz?token={HEALTH_TOKEN}")
        assert status == 200 and body["status"] == "ok", body
        assert body["db"]["ok"] and body["rasa"]["ok"] and body["actions"]["ok"]
        assert [s["url"] for s in body["rasa"]["servers"] if s["ok"]] == rasa_urls
        assert body["channels"]["web"]["on"] is True

        # Conversations are spread over both Rasa servers (each conversation's turns on its own one,
        # whose in-memory lock orders them); both read every tracker from the shared SQL store.
        setting = ",".join(rasa_urls)
        owners: dict[str, str] = {}
        while len(set(owners.values())) < 2 and len(owners) < 20:
            conv_id = asyncio.run(_chat_once(port))
            owners[conv_id] = rasa_client.server_for(setting, conv_id)
        assert len(set(owners.values())) == 2, owners
        for conv_id, owner in owners.items():
            assert _user_turns(owner, conv_id) == 1
            assert _user_turns(next(u for u in rasa_urls if u != owner), conv_id) == 1

        os.kill(pids["gateway"], signal.SIGKILL)  # a crash
        new_pid = int(out.wait_for(r"restarted gateway \(pid (\d+)", 30).group(1))
        assert new_pid != pids["gateway"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _health(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        else:
            pytest.fail("gateway did not come back")
        pids["gateway"] = new_pid

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        out.thread.join(timeout=5)
        assert "stopped" in out.lines[-1]
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [n for n, p in pids.items() if _alive(p)], "orphans left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in pids.values():
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
