"""Issue 10 in the actions, with the real FAQ search and a real SQLite orders store: the shop slot,
answers from the conversation's shop only, the answer policy per channel, orders per shop."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from click.testing import CliRunner
from helpers import run, slot_events, tracker

from helpdesk import wording
from actions.faq_answer import ActionAnswerFaq, button_payload
from actions.handoff import ActionHandoff
from actions.lookup import ActionLookupOrder
from actions.migrations import MIGRATIONS
from actions.orders_store import SqliteOrdersStore
from actions.validation import ValidateSlotMappings
from helpdesk import migrate
from helpdesk.cli import cli

INVOICE = "waar vind ik mijn factuur?"


def ask(text: str, shop: str | None, channel: str = "web", lang: str = "nl", intent: str = "ask_faq"):
    meta = {"language": lang, "channel": channel}
    if shop:
        meta["shop"] = shop
    action = ActionHandoff() if intent == "request_human" else ActionAnswerFaq()
    events, messages = run(action, tracker(text, intent, {"language": lang, "shop": shop}, metadata=meta))
    # the FAQ decision marker for the gateway's metrics (custom.faq, no text) is not a reply
    return events, [m for m in messages if set((m.get("custom") or {})) != {"faq"} or m.get("text")]


# ---- shop slot --------------------------------------------------------------------------------

def test_shop_slot_comes_from_metadata_and_stays():
    events, _ = run(ValidateSlotMappings(), tracker("hallo", "greet", metadata={"shop": "oscaro"}))
    assert slot_events(events)["shop"] == "oscaro"
    events, _ = run(ValidateSlotMappings(), tracker("hallo", "greet", {"shop": "oscaro"}, metadata={"shop": "cats"}))
    assert "shop" not in slot_events(events)  # fixed when the conversation started
    events, _ = run(ValidateSlotMappings(), tracker("hallo", "greet"))
    assert slot_events(events)["shop"] == "mister-auto"  # shops.yml default_shop


# ---- FAQ per shop -----------------------------------------------------------------------------

@pytest.mark.parametrize("shop, entry", [("mister-auto", "mister-auto.invoice-download"), ("oscaro", "oscaro.invoices"),
                                          ("cats", "cats.invoices"), ("citroen-services", "citroen-services.invoice")])
def test_same_question_gets_each_shops_own_answer(shop, entry):
    from actions.faq_answer import faq_entry

    _, messages = ask(INVOICE, shop)
    assert [m["text"] for m in messages] == [faq_entry(entry, "nl")["answer"].strip()]


def test_clarify_buttons_only_offer_the_shops_entries():
    _, messages = ask("mijn account", "cats")
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads and all('"cats.' in p for p in payloads)


def test_a_button_of_another_shop_is_not_answered():
    entry_id = "oscaro.invoices"
    trk = tracker(button_payload(entry_id), "faq_select", {"language": "nl", "shop": "cats"},
                  entities=[{"entity": "faq_id", "value": entry_id}])
    events, messages = run(ActionAnswerFaq(), trk)
    assert messages[0]["text"] == wording.text("faq_none", "nl") and slot_events(events)["faq_misses"] == 1.0


# ---- answer policy per channel ----------------------------------------------------------------

def test_email_never_asks_back_full_answer_then_others():
    from actions.faq_answer import faq_entry

    question = "mijn account"  # a clarify for cats on the web (see test above)
    _, web = ask(question, "cats", "web")
    assert web[0]["buttons"]
    ids = [b["payload"].split('"')[3] for b in web[0]["buttons"]]
    _, mail = ask(question, "cats", "email")
    assert len(mail) == 1 and not mail[0].get("buttons")  # one message = one email
    body = mail[0]["text"]
    best = faq_entry(ids[0], "nl")["answer"].strip()
    assert body.startswith(best)
    assert wording.text("faq_others", "nl") in body
    for other in ids[1:]:
        entry = faq_entry(other, "nl")
        assert " ".join(entry["question"].split()) in body and entry["answer"].strip() in body


def test_whatsapp_gets_numbered_choices():
    _, messages = ask("mijn account", "cats", "whatsapp")
    assert messages[0]["text"] == wording.text("faq_clarify_numbered", "nl")
    assert len(messages[0]["buttons"]) >= 2  # rendered "1. ...", "2. ..." by the WhatsApp adapter


# ---- contacting customer service is a question, not a handoff ---------------------------------

@pytest.mark.parametrize("text, lang, shop", [
    ("quels sont les horaires du service client ?", "fr", "oscaro"),
    ("quels sont les horaires du service client ?", "fr", "evignette"),
    ("hoe laat is de klantendienst open", "nl", "citroen-services"),
    ("hoe laat is de klantendienst open", "nl", "cats"),
])
def test_questions_about_customer_service_are_answered_from_the_shop(text, lang, shop):
    events, messages = ask(text, shop, lang=lang, intent="request_human")
    assert "handoff" not in slot_events(events), messages
    assert not any(m.get("custom") for m in messages)
    offered = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert messages[0]["text"] and all(f'"{shop}.' in p for p in offered)


def test_asking_for_a_person_still_hands_off():
    events, messages = ask("ik wil een medewerker spreken over mijn factuur", "oscaro", intent="request_human")
    assert messages[-1]["custom"] == {"handoff": {"reason": "asked"}}


# ---- orders per shop --------------------------------------------------------------------------

def lookup(shop: str, email: str, number: str):
    trk = tracker("", "inform", {"language": "nl", "shop": shop, "email": email, "order_number": number},
                  sender=f"conv-{shop}-{number}", metadata={"shop": shop, "sender_identity": f"web:{shop}{number}"})
    return run(ActionLookupOrder(), trk)


def test_order_of_shop_a_is_refused_from_shop_b_like_an_unknown_order(orders_db):
    events, messages = lookup("mister-auto", "jan.peeters@example.be", "10000001")
    assert slot_events(events)["found_order"] == "10000001"
    _, other_shop = lookup("oscaro", "jan.peeters@example.be", "10000001")
    _, unknown = lookup("oscaro", "jan.peeters@example.be", "10000099")
    assert other_shop[0]["text"].split("\n")[0] == wording.text("not_found", "nl")
    assert other_shop[0]["text"].replace("10000001", "N") == unknown[0]["text"].replace("10000099", "N")
    events, _ = lookup("oscaro", "marie.dubois@example.be", "10000005")  # an oscaro demo order
    assert slot_events(events)["found_order"] == "10000005"


HEADER = "order_number,email,plate,order_date,status\n"


def test_import_shop_option_column_and_same_number_in_two_shops(tmp_path, monkeypatch):
    db = tmp_path / "o.db"
    monkeypatch.setenv("ORDERS_DB", str(db))
    a = tmp_path / "a.csv"
    a.write_text(HEADER + "77700001,a@example.be,1-ABC-777,2026-03-01,paid\n")
    assert CliRunner().invoke(cli, ["orders", "import", "--shop", "oscaro", str(a)]).exit_code == 0
    b = tmp_path / "b.csv"
    b.write_text("order_number,email,plate,order_date,status,shop\n"
                 "77700001,b@example.be,,2026-03-02,shipped,cats\n77700002,c@example.be,,2026-03-02,paid,\n")
    result = CliRunner().invoke(cli, ["orders", "import", str(b)])
    assert result.exit_code == 0, result.output
    store = SqliteOrdersStore(db)
    assert store.get("77700001", shop="oscaro").email == "a@example.be"
    assert store.get("77700001", shop="cats").email == "b@example.be"
    assert store.get("77700001", shop="mister-auto") is None
    assert store.get("77700002").shop == "mister-auto"  # no shop given: the default shop
    assert [o.order_number for o in store.find_by_plate("1abc777", dt.date(2026, 3, 1), shop="oscaro")] == ["77700001"]
    assert store.find_by_plate("1abc777", dt.date(2026, 3, 1), shop="cats") == []


def test_import_unknown_shop_is_refused_and_nothing_stored(tmp_path, monkeypatch):
    db = tmp_path / "o.db"
    monkeypatch.setenv("ORDERS_DB", str(db))
    f = tmp_path / "c.csv"
    f.write_text("order_number,email,plate,order_date,status,shop\n77700003,d@example.be,,2026-03-02,paid,nope\n")
    result = CliRunner().invoke(cli, ["orders", "import", str(f)])
    assert result.exit_code != 0 and "line 2: shop 'nope' is not in the shops file" in result.output
    result = CliRunner().invoke(cli, ["orders", "import", "--shop", "nope", str(f)])
    assert result.exit_code != 0 and "unknown shop 'nope'" in result.output
    assert not db.exists() or SqliteOrdersStore(db).count() == 0


def test_migration_moves_existing_orders_to_the_default_shop(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrate.apply(conn, MIGRATIONS[:2])  # a store from before shops
    conn.execute("INSERT INTO orders (order_number, email, order_date, status) VALUES "
                 "('12312312', 'x@example.be', '2026-01-02', 'paid')")
    conn.commit()
    conn.close()
    store = SqliteOrdersStore(path)
    assert store.get("12312312", shop="mister-auto").email == "x@example.be"
    assert store.get("12312312", shop="oscaro") is None
