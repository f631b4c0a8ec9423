"""Outbound WhatsApp through Twilio's Messages API with the official `twilio` client.

The client is blocking (requests), so callers run `send_parts` in a thread. The API base URL can be
replaced (TWILIO_API_BASE_URL) by setting the `api` domain's `base_url`: the request still goes
through the real client code path (auth, headers, form encoding, error parsing), only the host differs.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

HTTP_TIMEOUT = 15.0


@dataclass
class TwilioSettings:
    account_sid: str
    auth_token: str
    whatsapp_from: str  # "whatsapp:+14155238886"
    api_base_url: str | None = None
    status_callback: str | None = None


class TwilioSendError(Exception):
    """A failed Messages API call; `retryable` says whether trying again later can help."""

    def __init__(self, message: str, retryable: bool, sent_sids: list[str] | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.sent_sids = sent_sids or []


def make_client(cfg: TwilioSettings) -> Client:
    """A real twilio Client, pointed at TWILIO_API_BASE_URL when that is set."""
    client = Client(cfg.account_sid, cfg.auth_token, http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT))
    if cfg.api_base_url:
        client.api.base_url = cfg.api_base_url.rstrip("/")
    return client


def whatsapp_address(identity: str) -> str:
    return identity if identity.startswith("whatsapp:") else f"whatsapp:{identity}"


def retryable_status(status: int | None) -> bool:
    """5xx and 429 (rate limit) are worth retrying; other 4xx mean the request itself is wrong."""
    return status is None or status >= 500 or status == 429


def send_parts(client: Client, cfg: TwilioSettings, identity: str, parts: list[str],
               media_urls: list[str] | None = None) -> list[str]:
    """Send each part as one message (media go with the first); returns the SIDs (SM...), in order.

    On failure raises TwilioSendError carrying the SIDs already sent, so a retry can skip them
    instead of sending the first half twice.
    """
    sids: list[str] = []
    for i, part in enumerate(parts):
        kwargs: dict = {"from_": cfg.whatsapp_from, "to": whatsapp_address(identity)}
        if part:
            kwargs["body"] = part
        if i == 0 and media_urls:
            kwargs["media_url"] = list(media_urls)
        if cfg.status_callback:
            kwargs["status_callback"] = cfg.status_callback
        try:
            msg = client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise TwilioSendError(
                f"twilio {exc.status} code {exc.code}: {exc.msg}", retryable_status(exc.status), sids
            ) from exc
        except (requests.RequestException, OSError) as exc:
            raise TwilioSendError(f"twilio unreachable: {exc}", True, sids) from exc
        except TwilioException as exc:
            raise TwilioSendError(f"twilio error: {exc}", False, sids) from exc
        sids.append(msg.sid)
    return sids
