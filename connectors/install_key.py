"""A random secret per install, kept beside the gateway database (`client-hash.key`).

Why: pseudonyms that must stay stable across restarts (client address hashes for per-address
limits) and web chat tokens the gateway can recognise without storing them (a silent socket stores
nothing) both need a key nobody outside this install knows. Generated on first use, mode 0600.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from aiohttp import web

FILE = "client-hash.key"
_keys: dict[str, bytes] = {}


def key(app: web.Application) -> bytes:
    db_path = str(app["settings"].HELPDESK_DB)
    found = _keys.get(db_path)
    if found is None:
        path = Path(db_path).parent / FILE
        try:
            found = bytes.fromhex(path.read_text().strip())
        except (OSError, ValueError):
            found = secrets.token_bytes(32)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(found.hex())
                path.chmod(0o600)
            except OSError:
                pass  # read-only: a per-process key still works, it just changes on restart
        _keys[db_path] = found
    return found
