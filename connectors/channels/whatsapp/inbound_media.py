"""Inbound WhatsApp images and PDFs: downloaded from Twilio's MediaUrl and kept under MEDIA_DIR.

Why download: Twilio's media URLs need the account's credentials (with "HTTP Basic Auth for media"
on) and Twilio deletes media on request or after a while; agents must still see what the customer
sent. Only URLs under our own Twilio API base get our credentials (never an arbitrary host in a
webhook field); the type is checked by magic bytes, not by what the form says. A file that can't be
fetched stays listed with its URL and the reason: the message is never lost over an attachment.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from connectors import media

log = logging.getLogger(__name__)

KEPT_TYPES = {"image/jpeg": "image", "image/png": "image", "image/webp": "image", "application/pdf": "document"}
TIMEOUT = aiohttp.ClientTimeout(total=10)
DEFAULT_API = "https://api.twilio.com"


class FetchError(Exception):
    pass


async def _download(http: aiohttp.ClientSession, url: str, user: str, password: str, limit: int) -> bytes:
    # aiohttp drops the Authorization header when Twilio redirects to its CDN on another host.
    async with http.get(url, auth=aiohttp.BasicAuth(user, password), timeout=TIMEOUT) as resp:
        if resp.status != 200:
            raise FetchError(f"Twilio answered {resp.status}")
        data = bytearray()
        async for chunk in resp.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise FetchError("file is over MEDIA_MAX_BYTES")
        return bytes(data)


def _sniffed(data: bytes) -> str | None:
    return media.sniff_image(data) or ("application/pdf" if media.sniff_pdf(data) else None)


async def keep(app: web.Application, items: list[dict]) -> list[dict]:
    """The webhook's media entries, with images and PDFs replaced by stored files."""
    state, settings = app["whatsapp"], app["settings"]
    cfg = state["cfg"]
    base = (cfg.api_base_url or DEFAULT_API).rstrip("/") + "/"
    out: list[dict] = []
    for item in items:
        url, claimed = str(item.get("url") or ""), str(item.get("content_type") or "").lower()
        if claimed not in KEPT_TYPES or not url.startswith(base):
            out.append(item)
            continue
        try:
            data = await _download(app["http"], url, cfg.account_sid, cfg.auth_token, settings.MEDIA_MAX_BYTES)
            actual = _sniffed(data)
            if actual is None or KEPT_TYPES[actual] != KEPT_TYPES[claimed]:
                raise FetchError(f"content is not a {claimed} file")
            saved = await asyncio.to_thread(media.save, settings, data, content_type=actual,
                                            kind=KEPT_TYPES[actual])
            out.append(dict(saved, url=url))
        except (FetchError, media.MediaError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            log.warning("WhatsApp media not kept: %s", exc)
            out.append(dict(item, error=str(exc) or type(exc).__name__))
    return out
