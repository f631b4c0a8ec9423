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


@click.command()
@click.option("--since", metavar="DATE", help="only questions from this day (UTC, YYYY-MM-DD) on")
@click.option("--shop", metavar="ID", help="only this shop's conversations (needs conversations.shop)")
@click.option("--json", "as_json", is_flag=True, help="print the clusters as JSON")
def gaps(since: str | None, shop: str | None, as_json: bool) -> None:
    """Questions the FAQ could not answer, clustered per language, with draft entries."""
    from connectors import faq_gaps, report as reports

    db = open_gateway_db()
    try:
        data = faq_gaps.gaps(db, since, shop)
    except reports.ReportError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        db.conn.close()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data["languages"]:
        click.echo("No unanswered questions in this period.")
    for lang, clusters in data["languages"].items():
        for cluster in clusters:
            why = ", ".join(f"{k} {v}" for k, v in sorted(cluster["sources"].items()))
            near = cluster["nearest"]
            click.echo(f"[{lang}] {cluster['count']} question(s) ({why}); nearest entry: "
                       + (f"{near['id']} ({near['score']})" if near else "none"))
            for example in cluster["examples"]:
                click.echo(f"    - {example}")
            click.echo(f"  draft for {cluster['file'] or f'faq/{lang}/<collection>.yml'}:")
            click.echo("".join(f"    {line}\n" for line in cluster["draft_yaml"].splitlines()))
