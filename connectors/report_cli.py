"""`helpdesk report`: the support lead's figures from the gateway database (connectors/report.py)."""
from __future__ import annotations

import json

import click

from helpdesk import settings


def open_gateway_db():
    """The gateway database (HELPDESK_DB), migrated like the gateway does."""
    from connectors import store

    return store.open_db(settings.current().HELPDESK_DB)


@click.command()
@click.option("--since", metavar="DATE", help="first day (UTC, YYYY-MM-DD), included")
@click.option("--until", metavar="DATE", help="last day (UTC, YYYY-MM-DD), included")
@click.option("--shop", metavar="ID", help="only this shop's conversations (needs conversations.shop)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def report(since: str | None, until: str | None, shop: str | None, as_json: bool) -> None:
    """Conversations, deflection, handoffs, agent times, CSAT and FAQ rates."""
    from connectors import report as reports

    db = open_gateway_db()
    try:
        data = reports.build(db, since, until, shop)
    except reports.ReportError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        db.conn.close()
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else reports.as_text(data))
