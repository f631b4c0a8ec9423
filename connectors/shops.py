"""The gateway's view of the shops: which shop a conversation belongs to, and what follows from it.

The shops come from the app's own `SHOPS_FILE` setting (so a test or a second gateway can point at
its own file) through `helpdesk.shops.load`, which caches it and follows edits. A conversation's
`shop` column is fixed when it starts; a conversation made before shops existed (NULL) or whose
shop was removed from the file counts as the default shop's, so nothing breaks on an edit.
"""
from __future__ import annotations

from aiohttp import web

from connectors import hours
from helpdesk import shops as shops_file
from helpdesk.shops import Shop, Shops


def all_shops(app: web.Application) -> Shops:
    """The shops of this gateway (cached; an edited file is picked up within a second)."""
    return shops_file.load(app["settings"].SHOPS_FILE)


def get(app: web.Application, shop_id: str | None) -> Shop | None:
    """The shop with this id, None when the file has no such shop."""
    return all_shops(app).get(shop_id)


def default(app: web.Application) -> Shop:
    return all_shops(app).default()


def of(app: web.Application, conv: dict) -> Shop:
    """The conversation's shop (the default shop for NULL or a shop no longer in the file)."""
    known = all_shops(app)
    return known.get(conv.get("shop")) or known.default()


def for_whatsapp(app: web.Application, to: str | None) -> Shop:
    """The shop whose `whatsapp_from` is the webhook's `To`, else the default shop."""
    known = all_shops(app)
    return known.by_whatsapp_number(to) or known.default()


def for_email(app: web.Application, *addresses: str | None) -> Shop:
    """The shop of the first of `addresses` (To, Delivered-To, ... header values) that is a shop
    inbox, else the default shop."""
    from email.utils import getaddresses

    known = all_shops(app)
    for _name, addr in getaddresses([a for a in addresses if a]):
        shop = known.by_email_address(addr)
        if shop is not None:
            return shop
    return known.default()


def schedule(app: web.Application, conv: dict) -> hours.Schedule:
    """When agents answer this conversation: its shop's hours, or the gateway's BUSINESS_HOURS
    schedule (`app["business_hours"]`) for a shop that names none."""
    fallback = app.get("business_hours") or hours.from_settings()
    return of(app, conv).schedule(fallback)


def name(app: web.Application, conv: dict) -> str:
    """The name customers know the conversation's shop by (email closings, notices)."""
    return of(app, conv).name
