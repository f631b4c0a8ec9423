"""Per-install tokens between our own processes: RASA_TOKEN (Rasa's HTTP API) and ACTIONS_TOKEN
(the action server's webhook).

Why: Rasa's `--enable-api` without `--auth-token` lets any local caller read or rewrite every
conversation's tracker, and the action server runs order lookups for whoever posts to it. The
setting wins when it is set; otherwise the token is generated once into var/secrets/ (mode 0600),
so `helpdesk up`, the gateway and the test stack of one checkout all read the same value.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from helpdesk import settings as settings_module
from helpdesk.paths import VAR_DIR

NAMES = ("RASA_TOKEN", "ACTIONS_TOKEN")


def secrets_dir() -> Path:
    return VAR_DIR / "secrets"


def install_token(name: str, settings: Any = None) -> str:
    """The token `name`: from the settings if set, else read (or made once) under var/secrets/."""
    if name not in NAMES:
        raise ValueError(f"unknown token {name!r}")
    current = settings if settings is not None else settings_module.current()
    value = current.get(name)
    if value:
        return str(value)
    path = secrets_dir() / name.lower()
    try:
        found = path.read_text().strip()
        if found:
            return found
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:  # O_EXCL: of two processes starting at once, one writes and both read the same token
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(token)
    return token
