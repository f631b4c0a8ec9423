"""`helpdesk up` and `helpdesk agents ...` commands."""
import click


@click.command()
def up() -> None:
    """Run Rasa, the action server and the gateway."""
    raise click.ClickException("not implemented yet")


@click.group()
def agents() -> None:
    """Agent accounts for the console."""
