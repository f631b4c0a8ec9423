"""Who is on the other end of a request: one helper for the web chat and the agent console.

Why one helper: limits per client (sockets, queued chats, failed logins, failed order lookups)
are only as good as the address they count. Behind a reverse proxy every request comes from the
proxy, so with `TRUST_PROXY_HEADERS=1` the client is the right-most `X-Forwarded-For` hop that is
not a trusted proxy (loopback and `TRUSTED_PROXIES`): the left-hand entries are whatever the
client wrote and can't be believed. Without the setting the header is ignored (anyone can send it).

Limits count IPv6 clients per /64 (one customer line gets a whole /64). Where an address leaves
the process or could reach a log (Rasa metadata, the database) it is a keyed hash (`client_hash`),
never the address itself.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress

from aiohttp import web

from connectors import install_key

MAX_LEN = 64  # longest "address" kept from a header (garbage is cut, never trusted)


def _networks(spec: str | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for part in (spec or "").split(","):
        part = part.strip()
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                continue  # a typo in TRUSTED_PROXIES trusts nothing more
    return nets


def _trusted(address: str, extra: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_loopback or any(ip in net for net in extra if ip.version == net.version)


def from_headers(peer: str | None, forwarded_for: list[str], trust_proxy: bool,
                 trusted_proxies: str | None = None) -> str:
    """The client address given the TCP peer and the X-Forwarded-For header values (in order)."""
    peer = peer or "unknown"
    if not trust_proxy:
        return peer
    extra = _networks(trusted_proxies)
    if not _trusted(peer, extra):
        return peer  # the header came from someone who is not our proxy
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, extra):
            return hop[:MAX_LEN]
    return hops[0][:MAX_LEN] if hops else peer


def of(request: web.Request) -> str:
    """The client address of an aiohttp request, proxy-aware per the app's settings."""
    settings = request.app["settings"]
    return from_headers(request.remote, request.headers.getall("X-Forwarded-For", []),
                        settings.TRUST_PROXY_HEADERS, settings.get("TRUSTED_PROXIES"))


def limit_key(address: str) -> str:
    """What limits count: the address, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:MAX_LEN]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_hash(app: web.Application, address: str) -> str:
    """A stable pseudonym for a client (its limit key), safe for logs, Rasa and the database."""
    digest = hmac.new(install_key.key(app), limit_key(address).encode(), hashlib.sha256)
    return "c:" + digest.hexdigest()[:24]
