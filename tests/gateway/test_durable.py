"""Durable by default: `helpdesk up` stopped and started again mid-form continues the form.

Rasa keeps its trackers in a SQLite file beside HELPDESK_DB (RASA_TRACKER_DB), so the customer who
gave their email before the restart only needs to give the order number afterwards, and the
console's "what the bot collected" (Rasa's tracker) still shows the email.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import aiohttp
import pytest

from helpdesk.paths import ROOT

from .conftest import free_port
from .test_up import Output, _alive

pytestmark = pytest.mark.slow

ORDER = ("10000002", "an.devos@example.be", "323299999000001")  # demo order: shipped with bpost


def _start_up(tmp_path: Path, env: dict) -> tuple[subprocess.Popen, Output, list[int]]:
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "helpdesk"), "up"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        pids = [int(out.wait_for(rf"started {name} \(pid (\d+)", 30).group(1))
                for name in ("actions", "rasa", "gateway")]
        out.wait_for(r"ready:", 360)
    except BaseException:
        proc.kill()
        raise
    return proc, out, pids


def _stop_up(proc: subprocess.Popen, out: Output, pids: list[int]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    for pid in pids:
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)


async def _bot_reply(ws) -> str:
    """Frames until the bot's next message; its text."""
    while True:
        frame = await ws.receive_json(timeout=60)
        if frame.get("type") == "message" and frame.get("from") == "bot":
            return frame.get("text") or ""


async def _say(port: int, text: str, token: str | None = None) -> tuple[str, str, str]:
    """One customer message over the widget socket (resuming `token`'s session): (conversation id, token, bot text)."""
    query = f"?lang=nl&token={token}" if token else "?lang=nl"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws/chat{query}") as ws:
            first = await ws.receive_json(timeout=10)
            assert first["type"] == "session", first
            await ws.send_json({"type": "message", "text": text})
            reply = await _bot_reply(ws)
            return first["conversation_id"], first["token"], reply


def _tracker_slots(port: int, conv_id: str) -> dict:
    from helpdesk.tokens import install_token
    from support.rasa_stack import http_json

    token = install_token("RASA_TOKEN")  # Rasa's API runs with --auth-token (same checkout, same token)
    return http_json("GET", f"http://127.0.0.1:{port}/conversations/{conv_id}/tracker?token={token}")["slots"]


def test_up_restarted_mid_form_continues_the_form(tmp_path):
    from actions.demo import seed_demo
    from helpdesk.train import ensure_model

    ensure_model(echo=print, only_if_missing=True)
    seed_demo(str(tmp_path / "orders.db"))
    port, rasa_port, actions_port = free_port(), free_port(), free_port()
    env = dict(os.environ, HELPDESK_PORT=str(port), RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port),
               HELPDESK_DB=str(tmp_path / "h.db"), HELPDESK_LOG_DIR=str(tmp_path / "log"),
               ORDERS_DB=str(tmp_path / "orders.db"), PYTHONUNBUFFERED="1", RASA_SERVERS="1")
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)

    proc, out, pids = _start_up(tmp_path, env)
    try:
        conv_id, token, reply = asyncio.run(_say(port, "waar is mijn bestelling?"))
        assert "e-mailadres" in reply, reply
        _, _, reply = asyncio.run(_say(port, ORDER[1], token))
        assert "bestelnummer" in reply, reply
    finally:
        _stop_up(proc, out, pids)
    assert (tmp_path / "rasa-trackers.db").exists(), "trackers live in a file beside HELPDESK_DB"

    proc, out, pids = _start_up(tmp_path, env)
    try:
        assert _tracker_slots(rasa_port, conv_id)["email"] == ORDER[1]  # what the console shows
        same_conv, _, answer = asyncio.run(_say(port, f"het is {ORDER[0]}", token))
        assert same_conv == conv_id
        assert ORDER[2] in answer and "verzonden" in answer, answer  # found with the email from before
    finally:
        _stop_up(proc, out, pids)
