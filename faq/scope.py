"""Which FAQ collections a shop's customers are answered from, and which shop a collection is.

Why a module of its own: the shops file (`helpdesk.shops`, SHOPS_FILE) is the one source of the
shop -> collections mapping, but the FAQ must keep working without it (a bare FAQ checkout, tests
with their own FAQ_DIR): then a shop id is its collection name, as the seed shops are.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class UnknownShop(ValueError):
    """A shop id that is neither in the shops file nor an FAQ collection."""


def _shops():
    try:
        from helpdesk import shops
    except ImportError:
        return None
    return shops


def collections_for(shop: str, known: set[str] | None = None) -> list[str]:
    """The FAQ collections of `shop` (shops file `faq:`, default `[shop]`).

    known: the collections in the FAQ base, to tell an unknown shop from a real one."""
    shops = _shops()
    if shops is not None:
        try:
            found = shops.collections_for(shop)
        except Exception:  # noqa: BLE001 - no or broken shops file: fall back to the collection name
            found = None
        if found:
            return list(found)
    if known is not None and shop not in known:
        raise UnknownShop(f"unknown shop {shop!r}: not in the shops file and no FAQ collection of that name")
    return [shop]


def shop_of(collection: str) -> str:
    """The shop whose FAQ a collection is (the first shop listing it), else the collection name."""
    shops = _shops()
    if shops is not None:
        try:
            for shop in shops.load().shops.values():
                if collection in shop.faq:
                    return shop.id
        except Exception:  # noqa: BLE001 - no or broken shops file
            pass
    return collection


def default_shop() -> str | None:
    """The shops file's `default_shop`, or None without a shops file."""
    shops = _shops()
    if shops is None:
        return None
    try:
        shop = shops.default()
    except Exception:  # noqa: BLE001
        return None
    return getattr(shop, "id", shop) if shop else None
