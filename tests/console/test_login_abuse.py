"""Login abuse against the real gateway: lock-out, proxies, parallel bursts, limiter memory, and
`helpdesk agents disable|remove` / password resets ending sessions and open console sockets."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from connectors import client_address
from connectors.console import accounts, auth

from .conftest import PASSWORD, Gateway, free_port, make_agent
from .test_cli import run as run_cli

WRONG = "not the password"


@pytest.fixture
async def proxied(tmp_path):
    """The gateway behind a (loopback) reverse proxy: TRUST_PROXY_HEADERS=1."""
    from connectors.app import create_app

    app = create_app({"HELPDESK_DB": str(tmp_path / "helpdesk.db"), "TRUST_PROXY_HEADERS": "1",
                      "RASA_URL": f"http://127.0.0.1:{free_port()}"})
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        yield Gateway(app, server), http
    await server.close()


async def _login(gw, http, email: str, password: str, client: str | None = None) -> int:
    headers = {"X-Forwarded-For": client} if client else {}
    async with http.post(f"{gw.url}/agent/api/login", json={"email": email, "password": password},
                         headers=headers) as resp:
        return resp.status


async def test_wrong_passwords_from_one_client_do_not_lock_out_the_agent(proxied):
    gw, http = proxied
    make_agent(gw.db, "ann@shop.be")
    statuses = [await _login(gw, http, "ann@shop.be", WRONG, "203.0.113.5") for _ in range(auth.MAX_FAILURES + 2)]
    assert statuses == [401] * auth.MAX_FAILURES + [429, 429]  # the guesser waits ...
    assert await _login(gw, http, "ann@shop.be", PASSWORD, "198.51.100.7") == 200  # ... Ann does not


async def test_behind_a_proxy_clients_are_told_apart_and_spoofed_hops_ignored(proxied):
    gw, http = proxied
    make_agent(gw.db, "ann@shop.be")
    for i in range(auth.MAX_FAILURES):
        # The client writes a fake first hop; the proxy appends the real address on the right.
        assert await _login(gw, http, f"x{i}@shop.be", WRONG, f"10.9.9.{i}, 203.0.113.5") == 401
    assert await _login(gw, http, "y@shop.be", WRONG, "1.1.1.1, 203.0.113.5") == 429
    assert await _login(gw, http, "y@shop.be", WRONG, "203.0.113.6") == 401  # another client: its own count


def test_client_address_is_the_right_most_untrusted_hop():
    hop = client_address.from_headers
    assert hop("127.0.0.1", ["6.6.6.6, 203.0.113.5"], True) == "203.0.113.5"
    assert hop("127.0.0.1", ["6.6.6.6", "203.0.113.5, 10.0.0.2"], True, "10.0.0.0/8") == "203.0.113.5"
    assert hop("127.0.0.1", ["6.6.6.6"], False) == "127.0.0.1"  # header ignored unless trusted
    assert hop("192.0.2.1", ["6.6.6.6"], True) == "192.0.2.1"  # not from our proxy: ignored
    assert hop("127.0.0.1", [], True) == "127.0.0.1"
    assert client_address.limit_key("2001:db8:1:2:3:4:5:6") == client_address.limit_key("2001:db8:1:2::9")


async def test_a_parallel_burst_cannot_pass_the_limiter_before_the_password_check(proxied):
    gw, http = proxied
    make_agent(gw.db, "ann@shop.be")
    statuses = await asyncio.gather(*(_login(gw, http, "ann@shop.be", WRONG, "203.0.113.9") for _ in range(25)))
    assert statuses.count(401) == auth.MAX_FAILURES  # only five reached argon2
    assert statuses.count(429) == 25 - auth.MAX_FAILURES


async def test_guesses_spread_over_addresses_meet_the_per_account_delay(proxied):
    gw, http = proxied
    make_agent(gw.db, "ann@shop.be")
    for i in range(auth.MAX_FAILURES + 1):
        assert await _login(gw, http, "ann@shop.be", WRONG, f"203.0.113.{i}") == 401
    # An address that already failed on this account now waits out the account's delay ...
    assert await _login(gw, http, "ann@shop.be", WRONG, "203.0.113.0") == 429
    # ... while a clean address still gets in with the right password.
    assert await _login(gw, http, "ann@shop.be", PASSWORD, "198.51.100.1") == 200


def test_limiter_memory_is_bounded():
    limiter = auth.LoginLimiter(max_keys=100)
    for i in range(20_000):
        limiter.reserve(f"user{i}@x.be", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert len(limiter) <= 200
    wait, reservation = limiter.reserve("ann@shop.be", "198.51.100.1")
    assert wait == 0 and reservation is not None


# ---------------------------------------------------------------- disable / remove / reset


async def _logged_in_socket(gw, http):
    assert await _login(gw, http, "ann@shop.be", PASSWORD) == 200
    ws = await http.ws_connect(f"{gw.url}/agent/ws", headers={"Origin": gw.url})
    assert (await ws.receive_json(timeout=5))["type"] == "hello"
    return ws


def _db_path(gw) -> Path:
    return Path(gw.app["settings"].HELPDESK_DB)


async def _closed_within(ws, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        msg = await ws.receive(timeout=deadline - time.monotonic())
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            assert ws.close_code == 4401
            return
    raise AssertionError("console socket still open")


@pytest.mark.parametrize("command", [["disable"], ["remove"], ["add", "--name", "Ann", "--reset"]])
async def test_disable_remove_and_reset_end_sessions_and_sockets(proxied, command):
    gw, http = proxied
    make_agent(gw.db, "ann@shop.be")
    ws = await _logged_in_socket(gw, http)
    cli = await asyncio.to_thread(run_cli, _db_path(gw), *command[:1], "ann@shop.be", *command[1:],
                                  stdin="a brand new password\n")
    assert cli.returncode == 0, cli.stderr
    await _closed_within(ws, 10)
    async with http.get(f"{gw.url}/agent/api/me") as resp:
        assert resp.status == 401
    if command[0] == "add":
        assert await _login(gw, http, "ann@shop.be", "a brand new password") == 200
    else:
        assert await _login(gw, http, "ann@shop.be", PASSWORD) == 401  # disabled/removed: no login


async def test_disabled_agent_cannot_log_in_and_conversations_return_to_the_queue(proxied):
    from connectors import store

    from .conftest import make_pending

    gw, http = proxied
    agent = make_agent(gw.db, "ann@shop.be")
    conv = make_pending(gw.app)
    store.transition(gw.db, conv["id"], ("pending",), state="agent", assigned_agent_id=agent["id"])
    cli = run_cli(_db_path(gw), "disable", "ann@shop.be")
    assert cli.returncode == 0, cli.stderr
    assert "1 conversation(s) back in the queue" in cli.stdout
    assert store.require_conversation(gw.db, conv["id"])["state"] == "pending"
    assert await _login(gw, http, "ann@shop.be", PASSWORD, "198.51.100.2") == 401
    listed = run_cli(_db_path(gw), "list")
    assert "(disabled)" in listed.stdout
    unknown = run_cli(_db_path(gw), "remove", "nobody@shop.be")
    assert unknown.returncode != 0 and "no agent" in unknown.stderr
    assert accounts.get_by_email(gw.db, "ann@shop.be")["disabled_at"]
