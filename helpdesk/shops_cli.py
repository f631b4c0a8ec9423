"""`helpdesk shops check|list`: validate and show shops.yml (the work happens in helpdesk/shops.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def shops() -> None:
    """The shops this helpdesk serves (shops.yml, setting SHOPS_FILE)."""


@shops.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path | None) -> None:
    """Validate the shops file (default SHOPS_FILE); each problem is printed as FILE:LINE: message.

    Also checks every shop's `faq` collections against the FAQ folder (FAQ_DIR)."""
    from helpdesk.shops import faq_collections, parse, shops_file

    path = (file or shops_file()).resolve()
    loaded, problems = parse(path, known_collections=faq_collections())
    for problem in problems:
        click.echo(str(problem), err=True)
    if loaded is None:
        click.echo(f"{len(problems)} problem(s) in {path}", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(loaded.shops)} shops in {path} (default {loaded.default_shop})")


@shops.command("list")
def list_() -> None:
    """One line per shop: id, name, languages, FAQ collections, hours."""
    from helpdesk.shops import load

    loaded = load()
    for shop in loaded.shops.values():
        mark = "*" if shop.id == loaded.default_shop else " "
        click.echo(f"{mark} {shop.id:<18} {shop.name:<24} {','.join(shop.languages):<6} "
                   f"faq={','.join(shop.faq)}  {shop.business_hours or '(BUSINESS_HOURS)'} "
                   f"({shop.timezone or 'BUSINESS_TZ'})")
