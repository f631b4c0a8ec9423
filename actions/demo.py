"""Demo orders for `make run` and the tests: BE, NL and FR customers, plates and statuses.

Dates are relative to today, so "gisteren" / "hier" find an order on any day.
"""
from __future__ import annotations

import datetime as dt

from actions.orders_store import Order, SqliteOrdersStore

# (order_number, email, plate, days ago ordered, status, carrier, tracking, days until delivery, items, shop)
# The orders the tests use (10000001, 10000002, 10000007) are the default shop's (mister-auto).
DEMO = [
    ("10000001", "jan.peeters@example.be", "1-ABC-234", 1, "paid", None, None, 3, "Remblokken voor (set)", "mister-auto"),
    ("10000002", "an.devos@example.be", "2-XYZ-987", 3, "shipped", "bpost", "323299999000001", 1, "Ruitenwisserbladen", "mister-auto"),
    ("10000003", "pieter.janssens@example.be", "1-DEF-456", 8, "delivered", "DPD", "05212345678901", -2, "Olie 5W30 5L", "mister-auto"),
    ("10000004", "els.maes@example.be", "ABC-123", 2, "processing", None, None, 4, "Luchtfilter", "mister-auto"),
    ("10000005", "marie.dubois@example.be", "1-GHJ-789", 5, "shipped", "GLS", "GLS123456789BE", 2, "Plaquettes de frein", "oscaro"),
    ("10000006", "luc.lambert@example.be", "2-KLM-321", 0, "received", None, None, 6, "Batterie 70Ah", "oscaro"),
    ("10000007", "sophie.martin@example.fr", "AB-123-CD", 4, "shipped", "Colissimo", "6A12345678901", 2, "Disques de frein", "mister-auto"),
    ("10000008", "paul.bernard@example.fr", "FG-456-HI", 10, "delivered", "Chronopost", "XY123456789FR", -4, "Amortisseurs arrière", "oscaro"),
    ("10000009", "claire.petit@example.fr", "JK-789-LM", 6, "cancelled", None, None, None, "Kit distribution", "oscaro"),
    ("10000010", "julien.robert@example.fr", "NP-321-QR", 15, "refunded", "Colissimo", "6A98765432109", None, "Phares LED", "oscaro"),
    ("10000011", "emma.leroy@example.fr", "ST-654-UV", 1, "paid", None, None, 4, "Vignette Autriche 10 jours", "evignette"),
    ("10000012", "thomas.moreau@example.fr", "WX-987-YZ", 2, "processing", None, None, 3, "Bougies d'allumage", "oscaro"),
    ("10000013", "daan.devries@example.nl", "12-ABC-3", 3, "shipped", "PostNL", "3SABCD1234567", 1, "Zomerbanden 4x", "mister-auto"),
    ("10000014", "sanne.bakker@example.nl", "AB-12-CD", 9, "delivered", "DHL", "JVGL0123456789", -3, "Accu 60Ah", "mister-auto"),
    ("10000015", "lotte.visser@example.nl", "1-ABC-23", 1, "received", None, None, 5, "Vignet Zwitserland", "evignette"),
    ("10000016", "bram.smit@example.nl", "99-XX-99", 5, "shipped", "DHL", "JVGL9876543210", 2, "Uitlaatdemper", "mister-auto"),
    ("10000017", "noor.meijer@example.nl", "GB-345-K", 20, "refunded", "PostNL", "3SXYZ9876543", None, "Dakkoffer", "citroen-services"),
    ("10000018", "garage.vermeulen@example.be", "1-MNO-555", 2, "shipped", "bpost", "323299999000018", 1, "Distributieriem", "mister-auto"),
    ("10000019", "garage.dubois@example.be", "1-PQR-777", 7, "delivered", "DPD", "05298765432109", -1, "Embrayage complet", "oscaro"),
    ("10000020", "inkoop@elektro-example.be", None, 1, "paid", None, None, 3, "Voeding LRS-350-24 (2x)", "cats"),
]


def demo_orders(today: dt.date | None = None) -> list[Order]:
    today = today or dt.date.today()
    return [
        Order(
            order_number=number, email=email, plate=plate,
            order_date=today - dt.timedelta(days=ago), status=status, carrier=carrier,
            tracking_number=tracking,
            expected_delivery=today + dt.timedelta(days=until) if until is not None else None,
            items=items, shop=shop,
        )
        for number, email, plate, ago, status, carrier, tracking, until, items, shop in DEMO
    ]


def seed_demo(path: str, today: dt.date | None = None) -> list[Order]:
    orders = demo_orders(today)
    SqliteOrdersStore(path).upsert_all(orders)
    return orders
