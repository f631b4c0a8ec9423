import datetime as dt

import pytest

from actions.parsing import normalise_plate, parse_date, parse_email, parse_order_number, parse_plate

TODAY = dt.date(2026, 3, 20)  # a Friday


@pytest.mark.parametrize("text, plate", [
    ("1-ABC-234", "1ABC234"),
    ("1abc234", "1ABC234"),
    ("mijn nummerplaat is 1 abc 234", "1ABC234"),
    ("AB-123-CD", "AB123CD"),
    ("ma plaque c'est ab123cd", "AB123CD"),
    ("12-ABC-3", "12ABC3"),
    ("kenteken 99-XX-99 graag", "99XX99"),
    ("GB-345-K", "GB345K"),
    ("plaat: 1.DEF.456", "1DEF456"),
])
def test_plates_customers_type(text, plate):
    assert parse_plate(text) == plate


@pytest.mark.parametrize("text", [
    "besteld op 2026", "ik 1234", "le 12 mars", "12345678", "jan@abc123.be", "hallo", "covid19",
    "3 dagen geleden", "12/03/2026",
])
def test_no_plate_in_ordinary_text(text):
    assert parse_plate(text) is None


def test_plate_normalisation_ignores_case_spaces_dashes():
    assert normalise_plate("1-abc 234") == normalise_plate("1ABC234") == "1ABC234"


@pytest.mark.parametrize("text, number", [
    ("mijn bestelnummer is 12345678", "12345678"),
    ("commande #98765432 svp", "98765432"),
    ("nr. 10000001", "10000001"),
    ("12345678", "12345678"),
])
def test_order_numbers(text, number):
    assert parse_order_number(text) == number


@pytest.mark.parametrize("text", ["12/03/2026", "2026-03-12", "1-ABC-234", "12345", "bel 0470/12.34.56",
                                  "+32 470 12 34 56"])
def test_no_order_number(text):
    assert parse_order_number(text) is None


@pytest.mark.parametrize("text, lang, expected", [
    ("le 3 mars", "fr", dt.date(2026, 3, 3)),
    ("3 maart", "nl", dt.date(2026, 3, 3)),
    ("besteld op 14 februari", "nl", dt.date(2026, 2, 14)),
    ("1er mars 2025", "fr", dt.date(2025, 3, 1)),
    ("gisteren", "nl", dt.date(2026, 3, 19)),
    ("hier", "fr", dt.date(2026, 3, 19)),
    ("hier", "nl", dt.date(2026, 3, 19)),  # the whole message: yesterday, even in Dutch
    ("j'ai commandé hier", "fr", dt.date(2026, 3, 19)),
    ("eergisteren", "nl", dt.date(2026, 3, 18)),
    ("avant-hier", "fr", dt.date(2026, 3, 18)),
    ("vandaag", "nl", TODAY),
    ("aujourd’hui", "fr", TODAY),
    ("12/03/2026", "nl", dt.date(2026, 3, 12)),
    ("12-03-26", "fr", dt.date(2026, 3, 12)),
    ("2026-03-12", "fr", dt.date(2026, 3, 12)),
    ("12/03", "nl", dt.date(2026, 3, 12)),
    ("25 december", "nl", dt.date(2025, 12, 25)),  # no year and in the future: last year
    ("lundi dernier", "fr", dt.date(2026, 3, 16)),
    ("vorige maandag", "nl", dt.date(2026, 3, 16)),
    ("vrijdag", "nl", dt.date(2026, 3, 13)),
    ("3 dagen geleden", "nl", dt.date(2026, 3, 17)),
    ("il y a une semaine", "fr", dt.date(2026, 3, 13)),
    ("le 5 Février", "fr", dt.date(2026, 2, 5)),
])
def test_dates(text, lang, expected):
    assert parse_date(text, TODAY, lang) == expected


@pytest.mark.parametrize("text", ["ik heb hier mijn bestelling", "31/02/2026", "bestelnummer 12345678", "ja"])
def test_no_date(text):
    assert parse_date(text, TODAY, "nl") is None


def test_email():
    assert parse_email("mijn mail is Jan.Peeters@Example.BE.") == "jan.peeters@example.be"
    assert parse_email("jan at example dot be") is None


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_every_month_name_in_both_languages(lang):
    from helpdesk.wording import MONTH_NAMES

    for month, name in enumerate(MONTH_NAMES[lang], start=1):
        assert parse_date(f"le 2 {name} 2025" if lang == "fr" else f"op 2 {name} 2025", TODAY, lang) == dt.date(2025, month, 2)
