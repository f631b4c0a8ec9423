"""A real Rasa server (.venv-rasa) plus a real action server (.venv) on free loopback ports.

Used by the session fixture `rasa_stack` (tests/conftest.py), so every area that needs the bot
shares one stack and one trained model. Logs go to files that are printed when start-up fails.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpdesk.paths import BOT_DIR, MODELS_DIR, ROOT
from helpdesk.train import ensure_model, rasa_bin, rasa_env
from support.waiting import free_port

# ~40 s on a quiet machine; several stacks and trainings at once on 2 cores can take minutes.
START_TIMEOUT = float(os.environ.get("RASA_STACK_TIMEOUT", "600"))


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the test process dies (Linux), so a killed
    pytest never leaves a 1 GB Rasa server behind on a shared machine."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass




def http_json(method: str, url: str, body: Any = None, timeout: float = 30) -> Any:
    """Tiny JSON HTTP client (stdlib only, so it works in any test without extra deps)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


@dataclass
class RasaStack:
    rasa_url: str
    actions_url: str
    workdir: Path
    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def orders_db(self) -> str:
        return self.env["ORDERS_DB"]

    def say(self, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
        """One REST turn, exactly as the gateway sends it (docs/CONTRACTS.md)."""
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        return http_json("POST", f"{self.rasa_url}/webhooks/rest/webhook", body)

    def tracker(self, sender: str) -> dict:
        return http_json("GET", f"{self.rasa_url}/conversations/{sender}/tracker")

    def slots(self, sender: str) -> dict:
        return self.tracker(sender)["slots"]

    def log_tail(self, lines: int = 60) -> str:
        out = []
        for path in self.logs:
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            out.append(f"==== {path} (last {lines} lines) ====\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _wait(stack: RasaStack, deadline: float) -> None:
    """Until the action server answers /health and Rasa's /status shows a loaded model."""
    actions_ok = rasa_ok = False
    while time.monotonic() < deadline:
        for proc in stack.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[:3]} exited with {proc.returncode}\n{stack.log_tail()}")
        try:
            if not actions_ok:
                actions_ok = http_json("GET", f"{stack.actions_url}/health", timeout=2).get("status") == "ok"
            if not rasa_ok:
                status = http_json("GET", f"{stack.rasa_url}/status", timeout=2)
                rasa_ok = bool(status.get("model_file"))  # Rasa 3.6 /status has no "fingerprint"
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        if actions_ok and rasa_ok:
            return
        time.sleep(0.5)
    raise RuntimeError(f"Rasa stack not ready after {START_TIMEOUT:.0f} s\n{stack.log_tail()}")


def start_stack(workdir: Path, extra_env: dict[str, str] | None = None) -> RasaStack:
    """Train if needed, start both servers, wait until they serve. Caller must call stop()."""
    # Train only when there is no model at all: `make test` runs `helpdesk train` first, and other
    # areas' sessions should not retrain while the bot is being edited.
    ensure_model(echo=lambda msg: print(msg, file=sys.stderr), only_if_missing=True)
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_port, actions_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n')

    env = rasa_env()
    env.update(SANIC_HOST="127.0.0.1", ORDERS_DB=str(workdir / "orders.db"))
    env.update(extra_env or {})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(BOT_DIR)])

    stack = RasaStack(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        actions_url=f"http://127.0.0.1:{actions_port}",
        workdir=workdir,
        env=env,
    )
    actions_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    stack.logs = [actions_log, rasa_log]
    try:
        with actions_log.open("wb") as out:
            stack.procs.append(subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
                 "-p", str(actions_port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            ))
        with rasa_log.open("wb") as out:
            stack.procs.append(subprocess.Popen(
                [str(rasa_bin()), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(rasa_port),
                 "--model", str(MODELS_DIR), "--endpoints", str(endpoints),
                 "--credentials", str(BOT_DIR / "credentials.yml")],
                cwd=BOT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            ))
        _wait(stack, time.monotonic() + START_TIMEOUT)
    except BaseException:
        stack.stop()
        raise
    return stack
