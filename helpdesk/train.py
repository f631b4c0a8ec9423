"""`helpdesk train`: train the Rasa model into bot/models/."""
import click


@click.command()
def train() -> None:
    """Train the Rasa bot (skipped when nothing changed)."""
    raise click.ClickException("not implemented yet")
