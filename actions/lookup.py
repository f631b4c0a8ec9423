"""`action_lookup_order`: the secure order lookup.

Nothing is revealed unless the email matches AND (the order number matches, OR the plate and the
order date match). A wrong email, a wrong number and a missing order all get the same reply, so
nobody can probe which emails or orders exist. After 3 failed lookups in a conversation, or too
many from one sender or one client address across conversations, the bot stops looking up and
hands off; once one email, plate or order number has failed too often (lookup_guard), lookups
for it are refused for everyone with the reply of a final miss, and a person takes over.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import lookup_guard
from actions.common import MAX_FAILED_LOOKUPS, as_int, client, language, sender_identity
from actions.handoff import hand_off
from actions.orders_store import Order, OrdersStore, open_store
from actions.shop import conversation_shop, default_shop
from helpdesk import wording

logger = logging.getLogger(__name__)


def find_order(store: OrdersStore, email: str | None, order_number: str | None,
               plate: str | None, order_date: str | None, shop: str | None = None) -> Order | None:
    """The order these details prove access to in this shop, or None (for every kind of mismatch:
    another shop's order gets the same None as an unknown one)."""
    if not email:
        return None
    email = email.strip().lower()
    shop = shop or default_shop()

    def mine(order: Order | None) -> bool:  # also for ORDERS_STORE backends that ignore `shop`
        return bool(order) and (order.shop or default_shop()) == shop and order.email.lower() == email

    if order_number:
        order = store.get(order_number, shop=shop)
        return order if mine(order) else None
    if plate and order_date:
        try:
            date = dt.date.fromisoformat(order_date)
        except ValueError:
            return None
        for order in store.find_by_plate(plate, date, shop=shop):
            if mine(order):
                return order
    return None


def describe(order: Order, lang: str) -> str:
    return wording.text(
        "order_found", lang,
        number=order.order_number,
        date=wording.format_date(order.order_date, lang),
        status=wording.text(f"status.{order.status}", lang),
        carrier=order.carrier or wording.text("unknown", lang),
        tracking=order.tracking_number or wording.text("unknown", lang),
        expected=wording.format_date(order.expected_delivery, lang)
        if order.status not in ("delivered", "cancelled", "refunded") else "-",
        next=wording.text(f"next_step.{order.status}", lang),
    )


def used_details(tracker: Tracker, lang: str) -> str:
    """Echo what the customer typed (never anything from the store) so they see what to fix."""
    email = tracker.get_slot("email") or "-"
    if tracker.get_slot("order_number"):
        return wording.text("used_number", lang, email=email, number=tracker.get_slot("order_number"))
    date = tracker.get_slot("order_date")
    shown = wording.format_date(dt.date.fromisoformat(date), lang) if date else "-"
    return wording.text("used_plate", lang, email=email, plate=tracker.get_slot("plate") or "-", date=shown)


class ActionLookupOrder(Action):
    def name(self) -> str:
        return "action_lookup_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        lang = language(tracker)
        identity = sender_identity(tracker)
        asker = [identity, lookup_guard.client_key(client(tracker))]
        targets = lookup_guard.target_keys(tracker.get_slot("email"), tracker.get_slot("order_number"),
                                           tracker.get_slot("plate"))
        failed = as_int(tracker.get_slot("failed_lookups"))
        if failed >= MAX_FAILED_LOOKUPS or lookup_guard.blocked(asker):
            return hand_off(dispatcher, lang, "failed_lookups")
        if lookup_guard.blocked(targets):
            # Someone probed this customer's details too often: nobody gets them from the bot now,
            # whoever asks. The reply is the one a final miss gets; a person takes over.
            lookup_guard.record_failures(asker)
            logger.info("order lookup refused: its target is over the limit")
            return [SlotSet("failed_lookups", float(failed + 1)), SlotSet("found_order", None)] + hand_off(
                dispatcher, lang, "failed_lookups")

        order = find_order(
            open_store(),
            tracker.get_slot("email"),
            tracker.get_slot("order_number"),
            tracker.get_slot("plate"),
            tracker.get_slot("order_date"),
            conversation_shop(tracker),
        )
        if order:
            dispatcher.utter_message(text=describe(order, lang))
            return [SlotSet("found_order", order.order_number)]

        failed += 1
        lookup_guard.record_failures(asker + targets)
        logger.info("failed order lookup %d for this sender", failed)
        # Keep every value: the customer corrects just the wrong one and the lookup runs again.
        events = [SlotSet("failed_lookups", float(failed)), SlotSet("found_order", None)]
        if failed >= MAX_FAILED_LOOKUPS:
            return events + hand_off(dispatcher, lang, "failed_lookups")
        dispatcher.utter_message(text=wording.text("not_found", lang) + "\n" + used_details(tracker, lang))
        return events
