"""The `helpdesk` command. Each area owns its sub-commands; this module only wires them together."""
from __future__ import annotations

import click

from actions.cli import orders
from connectors.console.cli import agents
from connectors.cli import gateway
from helpdesk.up.command import up
from faq.cli import faq
from helpdesk.train import train
from helpdesk.shops_cli import shops


@click.group()
@click.version_option(package_name="helpdesk")
def cli() -> None:
    """NL/FR customer-support assistant."""


cli.add_command(faq)
cli.add_command(orders)
cli.add_command(train)
cli.add_command(up)
cli.add_command(gateway)
cli.add_command(agents)
cli.add_command(shops)


def main() -> None:
    cli()
