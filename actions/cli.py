"""`helpdesk orders ...` commands."""
import click


@click.group()
def orders() -> None:
    """Orders store: import, demo data."""
