"""`helpdesk up` scaled out on one machine: 2 gateways + 2 Rasa servers on a real Postgres and a
real Redis (private servers, tests/support/engines.py).

A customer starts the order form on gateway A; one Rasa server is killed (-9) mid-form; the
customer's widget reconnects to gateway B and gives the order number: the form continues (the
tracker is in Postgres, Redis holds the conversation locks, any Rasa server takes the turn) and
the answer is the order found with the email given before.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess

import pytest

from helpdesk.paths import ROOT

import aiohttp

from .test_durable import ORDER, _say, _stop_up
from .test_up import Output, _two_free_ports

pytestmark = pytest.mark.slow


async def _say_until(port: int, text: str, token: str, wanted: str) -> tuple[str, list[str]]:
    """Send `text` on a resumed session; bot messages until one contains `wanted` (a reply of an
    earlier turn delivered late may come first). Returns (conversation id, bot texts seen)."""
    seen: list[str] = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws/chat?lang=nl&token={token}") as ws:
            first = await ws.receive_json(timeout=10)
            await ws.send_json({"type": "message", "text": text})
            while not any(wanted in t for t in seen):
                frame = await ws.receive_json(timeout=60)
                if frame.get("type") == "message" and frame.get("from") == "bot":
                    seen.append(frame.get("text") or "")
            return first["conversation_id"], seen


def test_two_gateways_two_rasa_on_postgres_and_redis_continue_a_form_across_gateways(tmp_path, postgres,
                                                                                      redis_server):
    import psycopg

    from actions.demo import seed_demo
    from helpdesk.train import ensure_model

    ensure_model(echo=print, only_if_missing=True)
    seed_demo(str(tmp_path / "orders.db"))
    database_url = postgres.new_database()
    port, rasa_port = _two_free_ports(), _two_free_ports()
    from .conftest import free_port

    env = dict(os.environ, HELPDESK_PORT=str(port), RASA_PORT=str(rasa_port), ACTIONS_PORT=str(free_port()),
               HELPDESK_DB=str(tmp_path / "unused.db"), HELPDESK_LOG_DIR=str(tmp_path / "log"),
               ORDERS_DB=str(tmp_path / "orders.db"), PYTHONUNBUFFERED="1", GATEWAYS="2", RASA_SERVERS="2",
               DATABASE_URL=database_url, REDIS_URL=redis_server.url)
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "helpdesk"), "up"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    pids: list[int] = []
    try:
        names = ("actions", "rasa", "rasa-2", "gateway", "gateway-2")
        started = {n: int(out.wait_for(rf"started {n} \(pid (\d+)", 30).group(1)) for n in names}
        pids = list(started.values())
        out.wait_for(r"ready:", 480)
        gateway_a, gateway_b = port, port + 1

        conv_id, token, reply = asyncio.run(_say(gateway_a, "waar is mijn bestelling?"))
        assert "e-mailadres" in reply, reply
        _, _, reply = asyncio.run(_say(gateway_a, ORDER[1], token))
        assert "bestelnummer" in reply, reply

        os.kill(started["rasa"], signal.SIGKILL)  # one Rasa server dies mid-form
        same_conv, seen = asyncio.run(_say_until(gateway_b, f"het is {ORDER[0]}", token, ORDER[2]))  # other gateway
        assert same_conv == conv_id
        print("bot messages on gateway B:", seen)
        assert "verzonden" in seen[-1] and not any("e-mailadres" in t for t in seen), seen

        with psycopg.connect(database_url) as conn:  # both stores really are on Postgres
            rasa_events = conn.execute("SELECT COUNT(*) FROM rasa.events WHERE sender_id=%s", (conv_id,)).fetchone()[0]
            ours = conn.execute("SELECT direction, COUNT(*) FROM messages WHERE conversation_id=%s"
                                " GROUP BY direction ORDER BY direction", (conv_id,)).fetchall()
        assert rasa_events > 0
        assert ours[0][0] == "in" and ours[0][1] == 3 and ours[1][0] == "out" and ours[1][1] >= 3
        assert not (tmp_path / "unused.db").exists()
    except BaseException:
        for log in sorted((tmp_path / "log").glob("*.log")):  # what each process said, for the report
            print(f"==== {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:]))
        raise
    finally:
        _stop_up(proc, out, pids)
