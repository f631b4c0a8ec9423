"""`helpdesk orders ...` commands: import a shop's orders file, or seed demo orders."""
from __future__ import annotations

from pathlib import Path

import click

from actions.demo import seed_demo
from actions.importer import ImportProblems, read_orders
from actions.orders_store import SqliteOrdersStore
from helpdesk import settings


@click.group()
def orders() -> None:
    """Orders store: import, demo data."""


@orders.command("import")
@click.option("--shop", default=None, help="Shop (shops.yml id) of rows without a shop column; default: the default shop.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_orders(shop: str | None, file: Path) -> None:
    """Import orders from a CSV or JSON FILE into ORDERS_DB (all rows or none).

    Columns: order_number,email,plate,order_date,status,carrier,tracking_number,expected_delivery,items
    and optionally shop (dates ISO 8601). An existing order with the same shop and order_number is replaced.
    """
    from actions.shop import known_shop

    if shop is not None and not known_shop(shop):
        raise click.BadParameter(f"unknown shop {shop!r}: not in the shops file", param_hint="--shop")
    try:
        rows = read_orders(file, shop)
    except ImportProblems as exc:
        for problem in exc.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise click.ClickException(f"nothing imported: {len(exc.problems)} problem(s) in {file}")
    path = settings.current().ORDERS_DB
    count = SqliteOrdersStore(path).upsert_all(rows)
    click.echo(f"imported {count} orders into {path}")


@orders.command("demo")
def demo() -> None:
    """Seed demo orders (BE/NL/FR customers) into ORDERS_DB and print a few to try."""
    path = settings.current().ORDERS_DB
    seeded = seed_demo(path)
    click.echo(f"seeded {len(seeded)} demo orders into {path}. Try:")
    for order in (seeded[0], seeded[6], seeded[12], seeded[4]):
        click.echo(
            f"  {order.email}  order {order.order_number}  or plate {order.plate} + date "
            f"{order.order_date.isoformat()}  ({order.status}, shop {order.shop})"
        )
