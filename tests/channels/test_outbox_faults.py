"""Outbox under channel faults (issue 12): a slow provider costs no CPU, a dead one stalls no other channel.

Real gateway app and SQLite file, real twilio client against the Twilio stand-in; CPU is this
process's own (time.process_time), so other work on the machine does not skew it.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from channels_support import wait_until, whatsapp_settings
from connectors import outbox, store

pytestmark = pytest.mark.slow


def _whatsapp_conversation(db, n: int) -> dict:
    contact = store.get_or_create_contact(db, "whatsapp", f"+3247{n:07d}")
    return store.create_conversation(db, contact["id"], "whatsapp", language="nl")


def _web_conversation(db) -> dict:
    contact = store.get_or_create_contact(db, "web", "visitor-hash")
    return store.create_conversation(db, contact["id"], "web", language="nl")


SENT = ("sent", "delivered", "read")  # the stand-in's status callbacks move "sent" on


def _sent(gw, ids: list[int]) -> int:
    return sum(status in SENT for status in _statuses(gw, ids))


async def _settled() -> None:
    """Wait for the gateway's start-up work in threads (FAQ index warm-up): not the outbox's CPU."""
    from faq import service

    await asyncio.to_thread(service.search, "factuur", k=1, lang="nl")


def _statuses(gw, ids: list[int]) -> list[str]:
    marks = ",".join("?" for _ in ids)
    return [r["status"] for r in gw.rows(f"SELECT status FROM messages WHERE id IN ({marks})", tuple(ids))]


async def test_slow_twilio_costs_almost_no_cpu_while_sends_are_in_flight(make_gateway, twilio):
    twilio.reset()
    twilio.delay = 2.0  # every message create answers after 2 s
    gw = await make_gateway(whatsapp_settings(twilio))
    db = gw.app["db"]
    convs = [_whatsapp_conversation(db, n) for n in range(20)]
    await _settled()
    # Warm the twilio client's code path first, so the figure is the waiting, not imports.
    twilio.delay = 0.0
    first = outbox.enqueue(gw.app, convs[0]["id"], "warm-up")
    assert await wait_until(lambda: _sent(gw, [first["id"]]) == 1, timeout=15)
    twilio.delay = 2.0

    wall0, cpu0 = time.monotonic(), time.process_time()
    ids = [outbox.enqueue(gw.app, conv["id"], f"antwoord {i}")["id"] for i, conv in enumerate(convs)]
    done = await wait_until(lambda: _sent(gw, ids) == 20, timeout=60, interval=0.25)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    twilio.delay = 0.0
    assert done, f"not all sent: {_statuses(gw, ids)}"
    share = cpu / wall
    print(f"20 WhatsApp sends, 2 s each: {wall:.1f} s wall, {cpu:.2f} s CPU = {share:.1%} of a core")
    assert wall >= 2.0
    assert share < 0.05, f"outbox used {share:.0%} of a core while waiting for Twilio"


async def test_backed_off_message_costs_no_cpu_while_it_waits(make_gateway, twilio):
    """A message waiting for its retry (and one queued behind it) must not wake the worker."""
    twilio.reset()
    gw = await make_gateway(whatsapp_settings(twilio))
    db = gw.app["db"]
    conv = _whatsapp_conversation(db, 1)
    await _settled()
    head = store.add_message(db, conv["id"], direction="out", author="bot", text="eerst", status="queued")
    store.mark_retry(db, head["id"], "twilio 503", store.later(60))
    behind = outbox.enqueue(gw.app, conv["id"], "daarna")  # due itself, but waits for the head
    wall0, cpu0 = time.monotonic(), time.process_time()
    deadline = wall0 + 1.5
    while time.monotonic() < deadline:  # measure a quiet period; the rows must stay untouched
        await asyncio.sleep(0.25)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    assert _statuses(gw, [head["id"], behind["id"]]) == ["queued", "queued"]
    assert twilio.messages == []
    assert cpu / wall < 0.05, f"worker used {cpu / wall:.0%} of a core while nothing was due"


async def test_whatsapp_outage_does_not_delay_web_replies(make_gateway, twilio):
    twilio.reset()
    twilio.fail_next(503, 20500, "Service Unavailable", count=100_000)
    gw = await make_gateway(whatsapp_settings(twilio))
    db = gw.app["db"]
    stuck = [outbox.enqueue(gw.app, _whatsapp_conversation(db, n)["id"], f"wa {n}")["id"] for n in range(250)]
    # WhatsApp is failing: they are tried and backed off (at least the 200 oldest).
    assert await wait_until(
        lambda: gw.rows("SELECT COUNT(*) AS n FROM messages WHERE direction='out' AND attempts >= 1")[0]["n"] >= 200,
        timeout=60, interval=0.2), "the WhatsApp messages were not even tried"
    web = _web_conversation(db)
    t0 = time.monotonic()
    reply = outbox.enqueue(gw.app, web["id"], "Hallo! Waarmee kan ik helpen?")
    sent = await wait_until(lambda: _sent(gw, [reply["id"]]) == 1, timeout=5, interval=0.02)
    took = time.monotonic() - t0
    accepted = list(twilio.messages)
    twilio.reset()
    assert sent, "the web reply waited behind the failing WhatsApp messages"
    assert took < 1.0, f"web reply took {took:.2f} s"
    assert set(_statuses(gw, stuck)) <= {"queued", "failed"}  # none of them got through
    assert accepted == []


async def test_hanging_twilio_does_not_take_the_shared_threads(make_gateway, twilio):
    """WhatsApp sends stuck at Twilio run in the channel's own threads: the loop's default
    executor (IMAP polls, other channels, the gateway's own thread work) stays free."""
    twilio.reset()
    gw = await make_gateway(whatsapp_settings(twilio))
    db = gw.app["db"]
    await _settled()
    twilio.delay = 4.0
    ids = [outbox.enqueue(gw.app, _whatsapp_conversation(db, n)["id"], f"traag {n}")["id"] for n in range(16)]
    assert await wait_until(lambda: len(gw.app["outbox_inflight"]) >= 8, timeout=5)
    await asyncio.sleep(0.5)  # the sends are inside the twilio client now
    t0 = time.monotonic()
    await asyncio.wait_for(asyncio.to_thread(lambda: None), timeout=10)
    took = time.monotonic() - t0
    twilio.delay = 0.0
    assert took < 1.0, f"a trivial job waited {took:.1f} s for a thread behind the Twilio sends"
    assert await wait_until(lambda: _sent(gw, ids) == 16, timeout=30)
