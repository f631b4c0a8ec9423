"""`helpdesk train`: train the Rasa model into bot/models/.

Rasa lives in its own Python 3.10 environment (.venv-rasa), so training is a subprocess. A
fingerprint of every training input (config, domain, data, custom components, Rasa's pinned
requirements) is stored next to the model: when it matches, training is skipped, which keeps
`make test` and `make run` fast after the first time.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click

from helpdesk.paths import BOT_DIR, MODELS_DIR, RASA_VENV

MODEL_NAME = "helpdesk"
INPUTS = ("config.yml", "domain", "data", "components", "requirements.txt")


def model_path() -> Path:
    return MODELS_DIR / f"{MODEL_NAME}.tar.gz"


def fingerprint_path() -> Path:
    return MODELS_DIR / f"{MODEL_NAME}.fingerprint"


def _input_files(bot_dir: Path) -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = bot_dir / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += sorted(
                p for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".yml", ".yaml", ".py"}
            )
    return files


def fingerprint(bot_dir: Path = BOT_DIR) -> str:
    """sha256 over the relative path and content of every training input."""
    digest = hashlib.sha256()
    for path in _input_files(bot_dir):
        digest.update(str(path.relative_to(bot_dir)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def is_up_to_date() -> bool:
    fp = fingerprint_path()
    return model_path().is_file() and fp.is_file() and fp.read_text().strip() == fingerprint()


def rasa_env() -> dict[str, str]:
    """Environment for every Rasa subprocess: no telemetry, quiet TensorFlow, 2 threads at most."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "2"),
        TF_NUM_INTRAOP_THREADS=env.get("TF_NUM_INTRAOP_THREADS", "2"),
        TF_NUM_INTEROP_THREADS=env.get("TF_NUM_INTEROP_THREADS", "1"),
        PYTHONPATH=str(BOT_DIR),  # custom components: bot/components/*
    )
    return env


def rasa_bin() -> Path:
    path = RASA_VENV / "bin" / "rasa"
    if not path.exists():
        raise click.ClickException(f"{path} not found: run `make install-rasa` first")
    return path


def ensure_model(force: bool = False, echo=print, only_if_missing: bool = False) -> Path:
    """Train unless the stored fingerprint matches; returns the model path.

    Several engineers/test sessions share bot/models: a lock file serialises training (the
    second caller waits, then finds the model up to date), and the model is trained into a
    private folder and moved into place, so `rasa run --model bot/models` never sees half a file.
    only_if_missing: keep any existing model even if bot/ changed (test fixtures of other areas).
    Rasa's own output (epoch progress bars) goes straight to the terminal.
    """
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    with open(MODELS_DIR / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model_path().is_file() and (only_if_missing or (not force and is_up_to_date())):
            echo(f"model up to date: {model_path()} (nothing changed in bot/)")
            return model_path()
        fp = fingerprint()
        tmp = MODELS_DIR / f".train-{os.getpid()}"
        cmd = [
            str(rasa_bin()), "train",
            "--config", "config.yml", "--domain", "domain", "--data", "data",
            "--out", str(tmp), "--fixed-model-name", MODEL_NAME,
        ]
        echo("training the Rasa model (NLU + dialogue), about 2-4 minutes on 2 cores ...")
        started = time.monotonic()
        try:
            proc = subprocess.run(cmd, cwd=BOT_DIR, env=rasa_env())
            trained = tmp / f"{MODEL_NAME}.tar.gz"
            if proc.returncode != 0 or not trained.is_file():
                raise click.ClickException(f"rasa train failed (exit {proc.returncode})")
            os.replace(trained, model_path())
            fingerprint_path().write_text(fp + "\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        echo(f"trained {model_path()} in {time.monotonic() - started:.0f} s")
        return model_path()


@click.command()
@click.option("--force", is_flag=True, help="Train even when nothing changed.")
def train(force: bool) -> None:
    """Train the Rasa bot into bot/models/ (skipped when nothing changed)."""
    ensure_model(force=force, echo=click.echo)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(train())
