"""Settings from the environment or a `.env` file.

Secrets never live in the repo: every value here comes from the process environment, which
`load_dotenv` fills from `.env` (without overriding what is already set).
"""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

from helpdesk.paths import ROOT, VAR_DIR

_loaded = False


def load_env() -> None:
    """Read `.env` once (cwd first, then the repo root); real environment variables win."""
    global _loaded
    if not _loaded:
        load_dotenv(Path.cwd() / ".env", override=False)
        load_dotenv(ROOT / ".env", override=False)
        _loaded = True


def get(name: str, default: str | None = None) -> str | None:
    """One setting; empty strings count as unset so `FOO=` in `.env` switches a thing off."""
    load_env()
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def get_int(name: str, default: int) -> int:
    value = get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"setting {name} must be an integer, got {value!r}") from exc


def db_path() -> str:
    """HELPDESK_DB: the conversations database (SQLite file)."""
    return get("HELPDESK_DB", str(VAR_DIR / "helpdesk.db"))


def orders_db_path() -> str:
    """ORDERS_DB: the demo orders store (SQLite file)."""
    return get("ORDERS_DB", str(VAR_DIR / "orders.db"))
