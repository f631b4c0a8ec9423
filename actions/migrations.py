"""The orders database's schema, as ordered steps (runner: helpdesk/migrate.py).

Append new steps at the end; never edit one that shipped. IF NOT EXISTS in the first steps adopts
files made before migrations existed.
"""
from __future__ import annotations

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

MIGRATIONS: list[Migration] = [
    ("0001_orders", ORDERS),
    ("0002_lookup_failures", LOOKUP_FAILURES),
]
