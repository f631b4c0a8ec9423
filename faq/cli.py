"""`helpdesk faq ...` commands."""
import click


@click.group()
def faq() -> None:
    """FAQ knowledge base: build, check, search, eval."""
