"""The `helpdesk` command. Each area owns its sub-commands; this module only wires them together."""
from __future__ import annotations

import click

from actions.cli import orders
from connectors.console.cli import agents
from connectors.cli import gateway
from connectors.privacy_cli import contacts
from connectors.report_cli import gaps, report
from helpdesk.up.command import up
from faq.cli import faq
from helpdesk.train import train
from helpdesk.shops_cli import shops


@click.group()
@click.version_option(package_name="helpdesk")
def cli() -> None:
    """NL/FR customer-support assistant."""


faq.add_command(gaps)  # `helpdesk faq gaps` reads the gateway database: wired here, not in faq/
cli.add_command(faq)
cli.add_command(orders)
cli.add_command(train)
cli.add_command(up)
cli.add_command(gateway)
cli.add_command(agents)
cli.add_command(report)
cli.add_command(contacts)
cli.add_command(shops)


def main() -> None:
    from helpdesk import redact

    redact.install()  # CLI logs (gateway, up, train...) are redacted like the servers'
    cli()
