"""Two gateways on one store with email configured: one IMAP poller runs (a lease in the store);
when its gateway stops, the other takes over. Real Dovecot, real SQLite file."""
from __future__ import annotations

from channels_support import MAILBOX, email_settings
from connectors import flow
from helpdesk import sql

from support.waiting import wait_until
from test_email_channel import customer_mail


async def test_only_one_gateway_polls_and_the_other_takes_over(make_gateway, dovecot, smtp_sink, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setattr(flow, "RASA_RETRIES", (0.05,))
    dovecot.clear(MAILBOX)
    shared = {**email_settings(dovecot, smtp_sink), "HELPDESK_DB": str(tmp_path / "shared.db")}
    a = await make_gateway(shared)
    b = await make_gateway(shared)
    roles = lambda: sorted(str(g.app["email"]["stats"]["poller"]) for g in (a, b))  # noqa: E731
    await wait_until(lambda: roles() == ["active", "standby"])
    active, standby = (a, b) if a.app["email"]["stats"]["poller"] == "active" else (b, a)

    dovecot.append(MAILBOX, customer_mail("<m1@example.fr>", "Levering", "Waar is mijn pakket?"))
    count = lambda: sql.row(standby.app["db"], "SELECT COUNT(*) AS n FROM messages WHERE direction='in'")["n"]  # noqa: E731
    await wait_until(lambda: count() == 1)
    assert standby.app["email"]["stats"]["last_poll_at"] is None  # the standby never touched IMAP
    assert standby.app["email"]["stats"]["poller"] == "standby"

    await active.server.close()  # a clean stop hands the lease over
    await wait_until(lambda: standby.app["email"]["stats"]["poller"] == "active")
    dovecot.append(MAILBOX, customer_mail("<m2@example.fr>", "Factuur", "Waar is mijn factuur?"))
    await wait_until(lambda: count() == 2)
    assert standby.app["email"]["stats"]["last_poll_at"] is not None
