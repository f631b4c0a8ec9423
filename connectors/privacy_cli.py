"""`helpdesk contacts export|forget IDENTITY`: a customer's GDPR requests (connectors/privacy.py)."""
from __future__ import annotations

import asyncio
import json

import click

from connectors.report_cli import open_gateway_db
from helpdesk import settings


@click.group()
def contacts() -> None:
    """What the helpdesk holds about a customer: export it, or forget it."""


def _run(fn, identity: str) -> dict:
    from connectors import privacy

    s = settings.current()
    db = open_gateway_db()
    try:
        return asyncio.run(fn(db, identity, s.RASA_URL, s.ORDERS_DB))
    except privacy.PrivacyError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.conn.close()


@contacts.command()
@click.argument("identity")
def export(identity: str) -> None:
    """Everything held about IDENTITY as JSON (email, whatsapp:+32..., or web:<contact id>)."""
    from connectors import privacy

    click.echo(json.dumps(_run(privacy.export, identity), ensure_ascii=False, indent=2))


@contacts.command()
@click.argument("identity")
def forget(identity: str) -> None:
    """Delete everything personal about IDENTITY, Rasa's trackers included; report counts stay."""
    from connectors import privacy

    counts = _run(privacy.forget, identity)
    click.echo(json.dumps(counts))
    if counts.get("rasa_unreachable"):
        # Rasa keeps trackers in memory: a stopped Rasa holds none, a running one must be reset.
        click.echo(f"warning: Rasa did not answer for {counts['rasa_unreachable']} conversation(s); if it runs"
                   " elsewhere, run forget again while it is reachable (RASA_URL)", err=True)
