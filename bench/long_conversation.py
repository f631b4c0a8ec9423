"""Tracker growth and Rasa CPU per FAQ turn, on the production set-up (SQL tracker store).

    .venv/bin/python bench/long_conversation.py [--turns 200]

Starts `helpdesk up` with one Rasa server in a temporary directory (free loopback ports, demo
orders, trackers in SQLite beside the temporary HELPDESK_DB), then sends TURNS FAQ questions as ONE
conversation straight to Rasa's REST channel, the way the gateway does. Prints the median latency
of the first 20 and of the last 20 turns (and their ratio: tracker length cost) and the Rasa
server's CPU time per turn (utime + stime from /proc, so the action server's FAQ search is not in
it). Figures only; machine load from other processes is not subtracted.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from actions.demo import seed_demo  # noqa: E402

QUESTIONS = [
    ("nl", "Hoe kan ik een product terugsturen?"),
    ("fr", "Comment télécharger ma facture ?"),
    ("nl", "Wat kost de verzending naar België?"),
    ("fr", "Je peux payer avec Bancontact ?"),
    ("nl", "Hoe lang duurt de levering?"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def say(rasa_url: str, sender: str, text: str, lang: str) -> list:
    body = json.dumps({"sender": sender, "message": text, "metadata": {"language": lang, "channel": "web"}})
    req = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body.encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    seed_demo(str(work / "orders.db"))
    rasa_port = free_port()
    env = dict(os.environ, HELPDESK_PORT=str(free_port()), RASA_PORT=str(rasa_port), ACTIONS_PORT=str(free_port()),
               HELPDESK_DB=str(work / "h.db"), HELPDESK_LOG_DIR=str(work / "log"), ORDERS_DB=str(work / "orders.db"),
               RASA_SERVERS="1", PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "helpdesk"), "up"], cwd=work, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rasa_pid = None
    try:
        for line in proc.stdout:
            if m := re.search(r"started rasa \(pid (\d+)", line):
                rasa_pid = int(m.group(1))
            if "ready:" in line:
                break
        else:
            raise SystemExit("helpdesk up stopped before it was ready")
        rasa_url, sender = f"http://127.0.0.1:{rasa_port}", uuid.uuid4().hex
        latencies, cpu = [], []
        for i in range(args.turns):
            lang, text = QUESTIONS[i % len(QUESTIONS)]
            before, started = cpu_seconds(rasa_pid), time.perf_counter()
            say(rasa_url, sender, text, lang)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu.append((cpu_seconds(rasa_pid) - before) * 1000)
        first, last = statistics.median(latencies[:20]), statistics.median(latencies[-20:])
        print(f"turns: {args.turns} in one conversation (SQL tracker store, SQLite)")
        print(f"median latency first 20: {first:.0f} ms, last 20: {last:.0f} ms, ratio {last / first:.2f}")
        print(f"Rasa CPU per FAQ turn: median {statistics.median(cpu):.0f} ms "
              f"(first 20: {statistics.median(cpu[:20]):.0f} ms, last 20: {statistics.median(cpu[-20:]):.0f} ms)")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
