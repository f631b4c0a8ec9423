"""The orders store: where the bot looks orders up.

A small interface (`OrdersStore`) so a shop can plug in its own order API with
`ORDERS_STORE=module:factory`; the default keeps orders in SQLite (sqlite-utils) at `ORDERS_DB`.
Rows are validated here too, so `helpdesk orders import` and any other writer share one set of rules.
"""
from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Protocol

import sqlite_utils

from actions.migrations import MIGRATIONS
from actions.parsing import EMAIL_RE, normalise_plate
from helpdesk import migrate
from helpdesk import settings

STATUSES = ("received", "paid", "processing", "shipped", "delivered", "cancelled", "refunded")
COLUMNS = ("order_number", "email", "plate", "order_date", "status", "carrier",
           "tracking_number", "expected_delivery", "items", "shop")  # shop: optional (issue 10)
REQUIRED = ("order_number", "email", "order_date", "status")


@dataclass
class Order:
    order_number: str
    email: str
    plate: str | None
    order_date: dt.date
    status: str
    carrier: str | None = None
    tracking_number: str | None = None
    expected_delivery: dt.date | None = None
    items: str | None = None
    shop: str | None = None  # shops.yml id; None (a store that knows no shops): the default shop


class OrdersStore(Protocol):
    """`shop`: only that shop's orders (None: the default shop). An order number is unique per shop."""

    def get(self, order_number: str, shop: str | None = None) -> Order | None: ...

    def find_by_plate(self, plate: str, order_date: dt.date, shop: str | None = None) -> list[Order]: ...


class RowError(ValueError):
    """A bad import row; the message says which column and why."""


def _date(value: Any, column: str, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise RowError(f"{column} is required")
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().split("T")[0]  # a full ISO timestamp keeps only its date
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RowError(f"{column} must be an ISO 8601 date (YYYY-MM-DD), got {value!r}") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    value = str(value).strip()
    return value or None


def order_from_row(row: dict[str, Any], shop: str | None = None) -> Order:
    """Validate one import row (CSV or JSON) and build an Order; raises RowError.

    The row's `shop` column wins, else `shop` (`orders import --shop`), else the default shop."""
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise RowError(f"unknown column(s): {', '.join(unknown)}")
    for column in REQUIRED:
        if _text(row.get(column)) is None:
            raise RowError(f"{column} is required")
    number = _text(row["order_number"])
    if not number.isdigit() or not 6 <= len(number) <= 12:
        raise RowError(f"order_number must be 6-12 digits, got {number!r}")
    email = _text(row["email"]).lower()
    if not EMAIL_RE.fullmatch(email):
        raise RowError(f"email is not a valid address: {email!r}")
    plate = _text(row.get("plate"))
    if plate is not None and not 2 <= len(normalise_plate(plate)) <= 10:
        raise RowError(f"plate must have 2-10 letters/digits, got {plate!r}")
    status = _text(row["status"]).lower()
    if status not in STATUSES:
        raise RowError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return Order(
        order_number=number,
        email=email,
        plate=plate.upper() if plate else None,
        order_date=_date(row["order_date"], "order_date", True),
        status=status,
        carrier=_text(row.get("carrier")),
        tracking_number=_text(row.get("tracking_number")),
        expected_delivery=_date(row.get("expected_delivery"), "expected_delivery", False),
        items=_text(row.get("items")),
        shop=_shop(_text(row.get("shop")) or shop),
    )


def _shop(shop_id: str | None) -> str:
    from actions.shop import default_shop, known_shop

    if shop_id is None:
        return default_shop()
    if not known_shop(shop_id):
        raise RowError(f"shop {shop_id!r} is not in the shops file")
    return shop_id


def _store_shop(shop: str | None) -> str:
    from actions.shop import default_shop

    return shop or default_shop()


def _to_record(order: Order) -> dict[str, Any]:
    record = asdict(order)
    record["shop"] = _store_shop(order.shop)
    record["order_date"] = order.order_date.isoformat()
    record["expected_delivery"] = order.expected_delivery.isoformat() if order.expected_delivery else None
    record["plate_norm"] = normalise_plate(order.plate) if order.plate else None
    return record


def _from_record(record: dict[str, Any]) -> Order:
    values = {f.name: record.get(f.name) for f in fields(Order)}
    values["order_date"] = dt.date.fromisoformat(values["order_date"])
    if values["expected_delivery"]:
        values["expected_delivery"] = dt.date.fromisoformat(values["expected_delivery"])
    return Order(**values)


class SqliteOrdersStore:
    """Orders in one SQLite table `orders` (primary key order_number, index on plate_norm)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(str(path))
        self.ensure_schema()

    def ensure_schema(self) -> None:
        migrate.apply(self.db.conn, MIGRATIONS)

    def get(self, order_number: str, shop: str | None = None) -> Order | None:
        rows = list(self.db["orders"].rows_where(
            "shop = ? and order_number = ?", [_store_shop(shop), str(order_number).strip()]))
        return _from_record(rows[0]) if rows else None

    def find_by_plate(self, plate: str, order_date: dt.date, shop: str | None = None) -> list[Order]:
        rows = self.db["orders"].rows_where(
            "shop = ? and plate_norm = ? and order_date = ?",
            [_store_shop(shop), normalise_plate(plate), order_date.isoformat()],
        )
        return [_from_record(r) for r in rows]

    def upsert_all(self, orders: Iterable[Order]) -> int:
        """Insert or replace in one transaction: all rows land, or none."""
        records = [_to_record(o) for o in orders]
        with self.db.conn:
            self.db["orders"].upsert_all(records, pk=("shop", "order_number"))
        return len(records)

    def count(self) -> int:
        return self.db["orders"].count


def open_store() -> OrdersStore:
    """The configured store: `ORDERS_STORE=module:factory` if set, else SQLite at ORDERS_DB."""
    spec = settings.current().ORDERS_STORE
    if spec:
        module_name, _, factory = spec.partition(":")
        if not factory:
            raise ValueError(f"ORDERS_STORE must look like module:factory, got {spec!r}")
        return getattr(importlib.import_module(module_name), factory)()
    return SqliteOrdersStore(settings.current().ORDERS_DB)
