"""The orders database's schema, as ordered steps (runner: helpdesk/migrate.py).

Append new steps at the end; never edit one that shipped. IF NOT EXISTS in the first steps adopts
files made before migrations existed.
"""
from __future__ import annotations

import sqlite3

from helpdesk.migrate import Migration

ORDERS = """
CREATE TABLE IF NOT EXISTS orders (
    order_number TEXT PRIMARY KEY,
    email TEXT,
    plate TEXT,
    plate_norm TEXT,
    order_date TEXT,
    status TEXT,
    carrier TEXT,
    tracking_number TEXT,
    expected_delivery TEXT,
    items TEXT
);
CREATE INDEX IF NOT EXISTS idx_orders_plate_norm_order_date ON orders(plate_norm, order_date)
"""

LOOKUP_FAILURES = """
CREATE TABLE IF NOT EXISTS lookup_failures (
    id INTEGER PRIMARY KEY,
    identity TEXT,
    at TEXT
);
CREATE INDEX IF NOT EXISTS idx_lookup_failures_identity_at ON lookup_failures(identity, at)
"""



def orders_shop(conn: sqlite3.Connection) -> None:
    """Issue 10: every order belongs to a shop, and an order number is unique per shop only.

    SQLite cannot change a primary key in place: copy into a table keyed (shop, order_number).
    Orders stored before shops existed go to the default shop of the shops file (as an import
    without a shop does)."""
    from actions.shop import default_shop

    conn.execute("""
        CREATE TABLE orders_by_shop (
            shop TEXT NOT NULL,
            order_number TEXT NOT NULL,
            email TEXT, plate TEXT, plate_norm TEXT, order_date TEXT, status TEXT, carrier TEXT,
            tracking_number TEXT, expected_delivery TEXT, items TEXT,
            PRIMARY KEY (shop, order_number)
        )""")
    conn.execute("""
        INSERT INTO orders_by_shop (shop, order_number, email, plate, plate_norm, order_date, status,
                                    carrier, tracking_number, expected_delivery, items)
        SELECT ?, order_number, email, plate, plate_norm, order_date, status, carrier, tracking_number,
               expected_delivery, items FROM orders""", (default_shop(),))
    conn.execute("DROP TABLE orders")
    conn.execute("ALTER TABLE orders_by_shop RENAME TO orders")
    conn.execute("CREATE INDEX idx_orders_shop_plate_norm_order_date ON orders(shop, plate_norm, order_date)")


MIGRATIONS: list[Migration] = [
    ("0001_orders", ORDERS),
    ("0002_lookup_failures", LOOKUP_FAILURES),
    ("1050_orders_shop", orders_shop),
]
