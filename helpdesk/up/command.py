"""`helpdesk up`: run Rasa, the action server and the gateway as one service (start, health, warm-up, stop)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import click

from helpdesk import settings
from helpdesk.up.endpoints import endpoints_yaml
from helpdesk.paths import BOT_DIR, MODELS_DIR, RASA_VENV, ROOT, VAR_DIR


def _find_model() -> Path:
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise click.ClickException(f"no trained model in {MODELS_DIR}: run `helpdesk train` (or `make run`)")
    return models[-1]


def rasa_servers() -> int:
    """How many Rasa servers to run (RASA_SERVERS). One Rasa server works one core; with the
    gateway and action server beside it, two of them keep the reply time under 300 ms for 50 busy
    chats on a 2-core machine (bench/load.py). Each takes about 1.3 GB of memory."""
    default = 2 if (os.cpu_count() or 1) >= 2 else 1
    return max(1, settings.current().RASA_SERVERS or default)


def _rasa_servers() -> list[tuple[str, int, str]]:
    """(child name, port, URL) per Rasa server, on consecutive ports from RASA_PORT; the gateway
    shards conversations over them."""
    first = settings.current().RASA_PORT
    return [("rasa" if i == 0 else f"rasa-{i + 1}", first + i, f"http://127.0.0.1:{first + i}")
            for i in range(rasa_servers())]


def _children(echo) -> list:
    """The three processes of a running helpdesk, in start order."""
    from helpdesk.up.supervisor import Child, http_ok

    current = settings.current()
    port = current.HELPDESK_PORT
    actions_port = current.ACTIONS_PORT
    rasas = _rasa_servers()
    actions_url = f"http://127.0.0.1:{actions_port}"
    gateway_url = f"http://127.0.0.1:{port}"
    logs = Path(current.HELPDESK_LOG_DIR)
    VAR_DIR.mkdir(parents=True, exist_ok=True)

    rasa = RASA_VENV / "bin" / "rasa"
    if not rasa.exists():
        raise click.ClickException(f"{rasa} not found: run `make install` first")
    model = _find_model()
    endpoints = logs / f"endpoints-{actions_port}.yml"  # per instance: tests run several at once
    logs.mkdir(parents=True, exist_ok=True)
    endpoints.write_text(endpoints_yaml(current, actions_url))
    Path(current.RASA_TRACKER_DB).parent.mkdir(parents=True, exist_ok=True)

    base = dict(os.environ)
    base.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
                OMP_NUM_THREADS=base.get("OMP_NUM_THREADS", "2"))
    actions_env = dict(base, SANIC_HOST="127.0.0.1",
                       PYTHONPATH=os.pathsep.join([str(ROOT), str(BOT_DIR)]))
    rasa_env = dict(base, PYTHONPATH=str(BOT_DIR))  # custom NLU components: bot/components
    gateway_env = dict(base, HELPDESK_PORT=str(port), RASA_URL=",".join(url for _, _, url in rasas),
                       ACTIONS_URL=actions_url, PYTHONPATH=str(ROOT))

    def rasa_ready(url: str) -> Callable[[], bool]:
        return lambda: http_ok(f"{url}/status",
                               lambda status, body: status == 200 and bool((body or {}).get("model_file")))

    def gateway_ready() -> bool:
        # 503 "degraded" still means the gateway serves; the body says which part is down.
        return http_ok(f"{gateway_url}/healthz",
                       lambda status, body: status in (200, 503) and (body or {}).get("gateway", {}).get("ok"))

    return [
        Child("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(actions_port)],
              ROOT, actions_env, logs / "actions.log", lambda: http_ok(f"{actions_url}/health")),
        *(Child(name, [str(rasa), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(rasa_port),
                       "--model", str(model), "--endpoints", str(endpoints),
                       "--credentials", str(BOT_DIR / "credentials.yml")],
                BOT_DIR, rasa_env, logs / f"{name}.log", rasa_ready(url))
          for name, rasa_port, url in rasas),
        Child("gateway", [sys.executable, "-m", "connectors"], ROOT, gateway_env, logs / "gateway.log",
              gateway_ready),
    ]


@click.command()
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait until all are healthy.")
def up(timeout: float) -> None:
    """Run Rasa, the action server and the gateway; restart crashes; stop on Ctrl-C/SIGTERM."""
    from helpdesk.up.supervisor import Supervisor

    def echo(msg: str) -> None:
        click.echo(f"[helpdesk] {msg}", err=False)

    sup = Supervisor(_children(echo), echo=echo)
    sup.install_signal_handlers()
    port = settings.current().HELPDESK_PORT
    code = 0
    try:
        sup.start_all()
        echo("waiting for Rasa to load its model (about a minute)...")
        if sup.wait_healthy(timeout):
            from helpdesk.up.warmup import TURNS, warm_up

            for _, _, url in _rasa_servers():
                answered, took = warm_up(url)
                echo(f"warmed up {url}: {answered}/{len(TURNS)} turns in {took:.1f} s")
            public = settings.current().PUBLIC_URL
            echo("ready:")
            echo(f"  demo shop + web chat  http://127.0.0.1:{port}/")
            echo(f"  widget script         http://127.0.0.1:{port}/widget.js")
            echo(f"  agent console         http://127.0.0.1:{port}/agent")
            echo(f"  health                http://127.0.0.1:{port}/healthz")
            echo(f"  WhatsApp webhook      {public.rstrip('/')}/webhooks/whatsapp")
            echo("Ctrl-C stops everything.")
            sup.watch()
        elif not sup.stopping:
            code = 1
    finally:
        sup.stop_all()
        echo("stopped")
    if code:
        raise SystemExit(code)
