"""The bridge to Rasa: its REST channel for turns, its HTTP API for tracker reads and slot resets.

One Rasa sender id per conversation (the conversation id); language and channel travel as
metadata so actions answer in the conversation's language.

`RASA_URL` may name several Rasa servers, comma-separated. Trackers live in a shared SQL tracker
store (helpdesk/up/endpoints.py), so any server can read any conversation. Without a shared lock
store (REDIS_URL) each server's lock is in its own memory, so a conversation's turns go to one
server chosen by a hash of its id; only when that server is unreachable (connection refused: it
never saw the message) does the next one take the turn. With REDIS_URL (`spread=True`) Rasa's
locks are in Redis and turns are spread round-robin over all servers: any server takes any
conversation. One Rasa server handles turns on one core; two of them use both cores.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
from typing import Any

import aiohttp

TURN_TIMEOUT = 30.0
HEALTH_TIMEOUT = 2.0


class RasaError(Exception):
    """Rasa did not answer usably (down, timeout, non-JSON).

    `retryable` is True only when Rasa surely never saw the message (connection refused), so
    asking again cannot make it process one customer message twice.
    """

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def servers(rasa_url: str) -> list[str]:
    """The Rasa servers a `RASA_URL` setting names (one URL, or several comma-separated)."""
    return [url.strip().rstrip("/") for url in rasa_url.split(",") if url.strip()]


def server_for(rasa_url: str, sender: str) -> str:
    """The server that owns `sender`'s conversation; stable across gateway restarts."""
    urls = servers(rasa_url)
    if len(urls) == 1:
        return urls[0]
    digest = hashlib.sha256(sender.encode("utf-8")).digest()
    return urls[int.from_bytes(digest[:8], "big") % len(urls)]


_round_robin = itertools.count()


def candidates(rasa_url: str, sender: str, spread: bool = False) -> list[str]:
    """Servers to try for `sender`, in order: the owner (by hash) or, with `spread`, the next one
    round-robin; then every other server (failover when the first refuses the connection)."""
    urls = servers(rasa_url)
    if len(urls) == 1:
        return urls
    first = urls.index(server_for(rasa_url, sender)) if not spread else next(_round_robin) % len(urls)
    return urls[first:] + urls[:first]


async def turn(session: aiohttp.ClientSession, rasa_url: str, sender: str, message: str,
               language: str, channel: str, sender_identity: str | None = None,
               client: str | None = None, shop: str | None = None, *,
               spread: bool = False) -> list[dict[str, Any]]:
    """Send one customer message; return Rasa's list of bot messages.

    `sender_identity` names the customer across conversations (one contact), so the action server
    can limit failed order lookups per customer and not only per conversation. `client` is the
    web client's address as a keyed hash (connectors.client_address): fresh chats from one
    address share its lookup limit. Never the raw address. `shop` (shops.yml id) travels as
    metadata `"shop"`: the bot keeps it in its `shop` slot and answers from that shop's FAQ
    collections and orders."""
    metadata = {"language": language, "channel": channel}
    if sender_identity:
        metadata["sender_identity"] = sender_identity
    if client:
        metadata["client"] = client
    if shop:
        metadata["shop"] = shop
    body = {"sender": sender, "message": message, "metadata": metadata}
    refused: RasaError | None = None
    for url in candidates(rasa_url, sender, spread):
        try:
            async with session.post(f"{url}/webhooks/rest/webhook", json=body,
                                    timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as resp:
                if resp.status != 200:
                    raise RasaError(f"Rasa answered HTTP {resp.status}: {(await resp.text())[:200]}")
                data = await resp.json(content_type=None)
            break
        except aiohttp.ClientConnectorError as exc:  # never reached that server: the next may take it
            refused = RasaError(f"Rasa unreachable: {exc}", retryable=True)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
            # A kept-alive connection to a server that died (kill -9): reset, not refused. If a
            # fresh connection is refused the server is gone (it saves the tracker only at the
            # end of a turn), so the next server takes the turn; a live server may have seen it.
            if await healthy(session, url, "/"):
                raise RasaError(f"Rasa failed mid-turn: {type(exc).__name__}: {exc}") from exc
            refused = RasaError(f"Rasa died: {type(exc).__name__}: {exc}", retryable=True)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaError(f"Rasa failed mid-turn: {type(exc).__name__}: {exc}") from exc
    else:
        raise refused or RasaError("no Rasa server configured", retryable=True)
    if not isinstance(data, list):
        raise RasaError(f"Rasa answered {type(data).__name__}, expected a list")
    return data


def _auth(token: str | None) -> dict[str, str]:
    """Rasa's HTTP API (`--auth-token`) wants the token as `?token=` (RASA_TOKEN, helpdesk.tokens)."""
    return {"token": token} if token else {}


async def tracker(session: aiohttp.ClientSession, rasa_url: str, sender: str, token: str | None = None) -> dict:
    """The conversation's tracker (slots the console shows); from the store shared by all servers,
    so the next server answers when the owner is down."""
    urls = candidates(rasa_url, sender)
    for i, url in enumerate(urls):
        try:
            async with session.get(f"{url}/conversations/{sender}/tracker", params=_auth(token),
                                   timeout=aiohttp.ClientTimeout(total=10)) as resp:
                resp.raise_for_status()
                return await resp.json(content_type=None)
        except aiohttp.ClientConnectorError:
            if i == len(urls) - 1:
                raise
    raise RasaError("no Rasa server configured")


async def reset_handoff(session: aiohttp.ClientSession, rasa_url: str, sender: str,
                        token: str | None = None) -> None:
    """Hand back to the bot: clear `handoff`, zero the miss/failure counters."""
    events = [
        {"event": "slot", "name": "handoff", "value": None},
        {"event": "slot", "name": "faq_misses", "value": 0},
        {"event": "slot", "name": "failed_lookups", "value": 0},
    ]
    urls = candidates(rasa_url, sender)
    for i, url in enumerate(urls):
        try:
            async with session.post(f"{url}/conversations/{sender}/tracker/events", json=events,
                                    params=_auth(token), timeout=aiohttp.ClientTimeout(total=10)) as resp:
                if resp.status >= 400:
                    raise RasaError(f"Rasa answered HTTP {resp.status}: {(await resp.text())[:200]}")
                return
        except aiohttp.ClientConnectorError as exc:
            if i == len(urls) - 1:
                raise RasaError(f"Rasa unreachable: {exc}") from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaError(f"Rasa unreachable: {exc}") from exc


async def healthy(session: aiohttp.ClientSession, url: str, path: str, token: str | None = None) -> bool:
    """True when `url + path` answers 200 quickly (Rasa: `/status` with its token, actions: `/health`)."""
    try:
        async with session.get(f"{url.rstrip('/')}{path}", params=_auth(token),
                               timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT)) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return False
