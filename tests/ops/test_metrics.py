"""GET /metrics: access rules, counters hooked in flow/outbox/handoff, gauges read from the DB."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from connectors import flow, handoff, outbox, store
from connectors.outbox import SendError

from .conftest import running_gateway, wait_for


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels...): value} of a Prometheus text page."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, *sorted(s.labels.items()))] = s.value
    return out


async def scrape(gw, headers=None) -> dict:
    async with gw.http.get(f"{gw.url}/metrics", headers=headers or {}) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"].startswith("text/plain")
        return samples(await resp.text())


async def test_token_is_required_when_set(tmp_path):
    async with running_gateway(tmp_path / "h.db", METRICS_TOKEN="s3cret") as gw:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            async with gw.http.get(f"{gw.url}/metrics", headers=headers) as resp:
                assert resp.status == 401
        got = await scrape(gw, {"Authorization": "Bearer s3cret"})
        assert got[("helpdesk_conversations", ("state", "bot"))] == 0


async def test_loopback_is_served_without_a_token(tmp_path):
    async with running_gateway(tmp_path / "h.db") as gw:
        got = await scrape(gw)
        assert ("helpdesk_conversations", ("state", "closed")) in got


async def test_counters_and_database_gauges(tmp_path, monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    async with running_gateway(tmp_path / "h.db") as gw:
        app = gw.app
        got = await flow.receive(app, channel="web", identity="w1", text="hallo")
        cid = got["conversation_id"]
        # Rasa is down here: the apology is queued and sent through the web channel.
        await wait_for(lambda: any(m["direction"] == "out" and m["status"] == "sent"
                                   for m in store.list_messages(gw.db, cid)), what="apology sent")
        handoff.escalate(app, cid, "asked", actor="bot")

        async def failing(app, conv, msg):
            raise SendError("refused", retryable=False)

        outbox.register_sender(app, "test", failing)
        contact = store.get_or_create_contact(gw.db, "test", "t1")
        other = store.create_conversation(gw.db, contact["id"], "test")
        outbox.enqueue(app, other["id"], "x", author="bot")
        await wait_for(lambda: any(m["status"] == "failed" for m in store.list_messages(gw.db, other["id"])),
                       what="failed send")
        stuck = store.create_conversation(gw.db, store.get_or_create_contact(gw.db, "nochannel", "n")["id"],
                                          "nochannel")
        outbox.enqueue(app, stuck["id"], "waiting", author="bot")

        m = await scrape(gw)
        assert m[("helpdesk_messages_total", ("channel", "web"), ("direction", "in"))] == 1
        assert m[("helpdesk_messages_total", ("channel", "web"), ("direction", "out"))] >= 1
        assert m[("helpdesk_handoffs_total", ("reason", "asked"))] == 1
        assert m[("helpdesk_send_failures_total", ("channel", "test"))] == 1
        assert m[("helpdesk_conversations", ("state", "pending"))] == 1
        assert m[("helpdesk_conversations", ("state", "bot"))] == 2
        assert m[("helpdesk_outbox_queued", ("channel", "nochannel"))] == 1
        # Rasa never answered: no turn was timed
        assert m.get(("helpdesk_turn_latency_seconds_count", ("channel", "web")), 0) == 0


async def test_each_app_has_its_own_registry(tmp_path):
    async with running_gateway(tmp_path / "a.db") as a, running_gateway(tmp_path / "b.db") as b:
        handoff_conv = await flow.receive(a.app, channel="web", identity="w", text="/greet")
        handoff.escalate(a.app, handoff_conv["conversation_id"], "misses")
        assert (await scrape(a))[("helpdesk_handoffs_total", ("reason", "misses"))] == 1
        assert ("helpdesk_handoffs_total", ("reason", "misses")) not in await scrape(b)
