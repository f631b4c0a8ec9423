"""`helpdesk up`: run Rasa, the action server and the gateway as one service (start, health, warm-up, stop)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import click

from helpdesk import settings
from helpdesk.up.endpoints import endpoints_yaml, prepare_tracker_store
from helpdesk.up.endpoints import rasa_env as tracker_store_env
from helpdesk.paths import BOT_DIR, MODELS_DIR, RASA_VENV, ROOT, VAR_DIR
from helpdesk.tokens import install_token


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


def action_endpoint_yaml(url: str, token: str) -> str:
    """endpoints.yml for Rasa: the action server's URL and the token Rasa sends it (`?token=`)."""
    return f'action_endpoint:\n  url: "{url}"\n  token: "{token}"\n'


def _gateways() -> list[tuple[str, int]]:
    """(child name, port) per gateway (GATEWAYS), on consecutive ports from HELPDESK_PORT.

    Several gateways share one store and one bus: they need REDIS_URL (a widget on one gateway
    must see the reply another one delivers); put a load balancer with WebSocket support in front
    (docs/scaling.md)."""
    current = settings.current()
    count = max(1, current.GATEWAYS)
    if count > 1 and not current.REDIS_URL:
        raise click.ClickException("GATEWAYS > 1 needs REDIS_URL (live updates between gateways); "
                                   "see docs/scaling.md")
    return [("gateway" if i == 0 else f"gateway-{i + 1}", current.HELPDESK_PORT + i) for i in range(count)]


def _children(echo) -> list:
    """The processes of a running helpdesk, in start order: action server, Rasa servers, gateways."""
    from helpdesk.up.supervisor import Child, http_ok

    current = settings.current()
    actions_port = current.ACTIONS_PORT
    rasas = _rasa_servers()
    actions_url = f"http://127.0.0.1:{actions_port}"
    logs = Path(current.HELPDESK_LOG_DIR)
    VAR_DIR.mkdir(parents=True, exist_ok=True)

    rasa = RASA_VENV / "bin" / "rasa"
    if not rasa.exists():
        raise click.ClickException(f"{rasa} not found: run `make install` first")
    model = _find_model()
    endpoints = logs / f"endpoints-{actions_port}.yml"  # per instance: tests run several at once
    logs.mkdir(parents=True, exist_ok=True)
    rasa_token, actions_token = install_token("RASA_TOKEN"), install_token("ACTIONS_TOKEN")
    endpoints.write_text(endpoints_yaml(current, actions_url, actions_token))
    endpoints.chmod(0o600)
    Path(current.RASA_TRACKER_DB).parent.mkdir(parents=True, exist_ok=True)

    base = dict(os.environ)
    base.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
                OMP_NUM_THREADS=base.get("OMP_NUM_THREADS", "2"))
    actions_env = dict(base, SANIC_HOST="127.0.0.1",
                       PYTHONPATH=os.pathsep.join([str(ROOT), str(BOT_DIR)]))
    rasa_env = dict(base, PYTHONPATH=str(BOT_DIR), **tracker_store_env(current))  # components: bot/components
    prepare_tracker_store(current)
    gateway_env = dict(base, RASA_URL=",".join(url for _, _, url in rasas),
                       ACTIONS_URL=actions_url, PYTHONPATH=str(ROOT))

    def rasa_ready(url: str) -> Callable[[], bool]:
        return lambda: http_ok(f"{url}/status?token={rasa_token}",
                               lambda status, body: status == 200 and bool((body or {}).get("model_file")))

    def gateway_ready(gateway_url: str) -> Callable[[], bool]:
        # 200 or 503 with a status means the gateway serves (503: some part is down); the
        # details need HEALTH_TOKEN, which a probe does not need to know it is up.
        return lambda: http_ok(f"{gateway_url}/healthz",
                               lambda status, body: status in (200, 503)
                               and (body or {}).get("status") in ("ok", "degraded"))

    return [
        Child("actions", [sys.executable, "-m", "actions.server", "--actions", "actions", "-p", str(actions_port)],
              ROOT, actions_env, logs / "actions.log", lambda: http_ok(f"{actions_url}/health")),
        *(Child(name, [str(rasa), "run", "--enable-api", "--auth-token", rasa_token,
                       "-i", "127.0.0.1", "-p", str(rasa_port),
                       "--model", str(model), "--endpoints", str(endpoints),
                       "--credentials", str(BOT_DIR / "credentials.yml")],
                BOT_DIR, rasa_env, logs / f"{name}.log", rasa_ready(url))
          for name, rasa_port, url in rasas),
        *(Child(name, [sys.executable, "-m", "connectors"], ROOT, dict(gateway_env, HELPDESK_PORT=str(gw_port)),
                logs / f"{name}.log", gateway_ready(f"http://127.0.0.1:{gw_port}"))
          for name, gw_port in _gateways()),
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
            try:
                from helpdesk.shops import load as load_shops

                for shop_id in load_shops().shops:
                    echo(f"    shop {shop_id:<17}http://127.0.0.1:{port}/?shop={shop_id}")
            except Exception:  # noqa: BLE001 - the gateway itself reports a broken shops file
                pass
            echo(f"  widget script         http://127.0.0.1:{port}/widget.js")
            echo(f"  agent console         http://127.0.0.1:{port}/agent")
            echo(f"  health                http://127.0.0.1:{port}/healthz")
            for name, gw_port in _gateways()[1:]:
                echo(f"  {name:<21} http://127.0.0.1:{gw_port}/ (same conversations: put a load balancer in front)")
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
