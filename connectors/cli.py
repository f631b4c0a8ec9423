"""`helpdesk gateway`: the gateway alone (Rasa and the action server run elsewhere)."""
from __future__ import annotations

import logging

import click


@click.command()
def gateway() -> None:
    """Run the gateway alone (Rasa and the action server must already run: RASA_URL, ACTIONS_URL)."""
    from connectors.app import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
