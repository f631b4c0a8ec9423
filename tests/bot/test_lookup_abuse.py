"""Order enumeration: fresh chats don't reset the limits; failures count per client address and per
target (email, plate, order number). Real actions, real SQLite orders store and failure table."""
import sqlite3

from helpers import run, slot_events, tracker

from helpdesk import wording
from actions.lookup import ActionLookupOrder
from actions.order_form import ValidateOrderLookupForm

REAL = {"email": "an.devos@example.be", "order_number": "10000002"}  # a demo order


def lookup(slots, sender, metadata):
    return run(ActionLookupOrder(), tracker("", "inform", slots={"language": "nl", **slots},
                                            sender=sender, metadata=metadata))


def test_fresh_chats_from_one_client_address_share_one_limit(orders_db, monkeypatch):
    monkeypatch.setenv("LOOKUP_MAX_FAILURES_PER_CLIENT", "4")
    for chat in range(4):  # a new web visitor (new token, new contact) each time
        meta = {"sender_identity": f"contact:{chat}", "client": "c:0123abcd"}
        events, _ = lookup({"email": f"guess{chat}@example.be", "order_number": f"1000{chat:04d}"},
                           f"conv-{chat}", meta)
        assert slot_events(events)["failed_lookups"] == 1.0
    meta = {"sender_identity": "contact:99", "client": "c:0123abcd"}
    events, messages = lookup(REAL, "conv-99", meta)
    assert "found_order" not in slot_events(events) and slot_events(events)["handoff"] == "failed_lookups"
    form = run(ValidateOrderLookupForm(), tracker("waar is mijn pakket", "order_status", slots={"language": "nl"},
                                                  active_loop="order_lookup_form", sender="conv-100",
                                                  metadata={"sender_identity": "contact:100", "client": "c:0123abcd"}))
    assert slot_events(form[0])["requested_slot"] is None  # the form does not even start
    # Another address is not affected.
    events, _ = lookup(REAL, "conv-x", {"sender_identity": "contact:7", "client": "c:ffff0000"})
    assert slot_events(events)["found_order"] == "10000002"


def test_a_probed_target_is_refused_for_everyone_like_a_miss(orders_db, monkeypatch):
    monkeypatch.setenv("LOOKUP_MAX_FAILURES_PER_TARGET", "3")
    for i in range(3):  # guesses spread over chats and addresses, all at one customer's email
        events, messages = lookup({"email": REAL["email"], "order_number": f"9999999{i}"}, f"probe-{i}",
                                  {"sender_identity": f"contact:{i}", "client": f"c:{i:08d}"})
        assert messages[0]["text"].startswith(wording.text("not_found", "nl"))
    # Now even the real customer, from a clean chat and address, gets a miss and goes to a person.
    events, messages = lookup(REAL, "real-customer", {"sender_identity": "contact:50", "client": "c:real"})
    assert "found_order" not in slot_events(events) or slot_events(events)["found_order"] is None
    assert slot_events(events)["handoff"] == "failed_lookups"
    assert messages[0]["text"] == wording.text("lookup_blocked", "nl")  # what a final miss says
    assert not any("10000002" in (m.get("text") or "") for m in messages)
    # A plate is a target too.
    for i in range(3):
        lookup({"email": f"p{i}@example.be", "plate": "2-XYZ-987", "order_date": "2001-01-01"}, f"pl-{i}",
               {"sender_identity": f"contact:p{i}", "client": f"c:p{i}"})
    events, _ = lookup({"email": "x@example.be", "plate": "2xyz987", "order_date": "2001-01-02"}, "pl-new",
                       {"sender_identity": "contact:pnew", "client": "c:pnew"})
    assert slot_events(events)["handoff"] == "failed_lookups"
    # Other customers' lookups still work.
    events, _ = lookup({"email": "jan.peeters@example.be", "order_number": "10000001"}, "other",
                       {"sender_identity": "contact:60", "client": "c:other"})
    assert slot_events(events).get("found_order") == "10000001"


def test_targets_are_stored_as_hashes_only(orders_db):
    lookup({"email": "secret.person@example.be", "order_number": "12345678", "plate": None}, "h",
           {"sender_identity": "contact:1", "client": "c:1"})
    rows = [r[0] for r in sqlite3.connect(orders_db).execute("SELECT identity FROM lookup_failures")]
    assert rows and not any("secret.person" in r or "12345678" in r for r in rows)
