"""Outbound WhatsApp through Twilio's Messages API with the official `twilio` client.

The client is blocking (requests), so callers run `send_parts` in a thread. The API base URL can be
replaced (TWILIO_API_BASE_URL) by setting the `api` domain's `base_url`: the request still goes
through the real client code path (auth, headers, form encoding, error parsing), only the host differs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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


def send_template(client: Client, cfg: TwilioSettings, identity: str, content_sid: str,
                  variables: dict[str, str]) -> str:
    """Send one approved template through the Content API: ContentSid + ContentVariables (JSON).

    Allowed outside the 24-hour window; Twilio renders the text. Returns the SID."""
    kwargs: dict = {"from_": cfg.whatsapp_from, "to": whatsapp_address(identity), "content_sid": content_sid}
    if variables:
        kwargs["content_variables"] = json.dumps(variables, ensure_ascii=False)
    if cfg.status_callback:
        kwargs["status_callback"] = cfg.status_callback
    try:
        return client.messages.create(**kwargs).sid
    except TwilioRestException as exc:
        raise TwilioSendError(f"twilio {exc.status} code {exc.code}: {exc.msg}", retryable_status(exc.status)) from exc
    except (requests.RequestException, OSError) as exc:
        raise TwilioSendError(f"twilio unreachable: {exc}", True) from exc
    except TwilioException as exc:
        raise TwilioSendError(f"twilio error: {exc}", False) from exc


def already_sent(client: Client, cfg: TwilioSettings, identity: str, parts: list[str],
                 since: datetime) -> list[str]:
    """SIDs of the leading `parts` Twilio already holds for this customer, created at `since` or later.

    Why: if the gateway died between Twilio accepting a message and our database marking it sent,
    the outbox cannot know whether the send happened. Twilio's message list (newest first, filtered
    by To/From) answers that, so the resend skips what went out and nothing is sent twice.
    Raises TwilioSendError when Twilio cannot be asked (the caller retries later; it must not guess).
    """
    try:
        recent = client.messages.list(to=whatsapp_address(identity), from_=cfg.whatsapp_from,
                                      limit=max(20, 4 * len(parts)))
    except TwilioRestException as exc:
        raise TwilioSendError(f"twilio {exc.status} code {exc.code}: {exc.msg}", retryable_status(exc.status)) from exc
    except (requests.RequestException, OSError, TwilioException) as exc:
        raise TwilioSendError(f"twilio unreachable: {exc}", True) from exc
    floor = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    candidates = [m for m in reversed(recent)  # oldest first, like the parts
                  if m.date_created is None or m.date_created >= floor - timedelta(seconds=5)]
    found: list[str] = []
    for part in parts:
        match = next((m for m in candidates if (m.body or "") == part and m.sid not in found), None)
        if match is None:
            break
        found.append(match.sid)
        candidates = candidates[candidates.index(match) + 1:]
    return found
