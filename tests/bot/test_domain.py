"""Every bot sentence exists in NL and FR, and reads as that language."""
import re

import pytest
import yaml

from faq.language import detect
from helpdesk import wording
from helpdesk.paths import BOT_DIR


def responses() -> dict:
    return yaml.safe_load((BOT_DIR / "domain" / "responses.yml").read_text())["responses"]


def test_every_domain_response_has_one_nl_and_one_fr_variation():
    for name, variations in responses().items():
        langs = sorted(v["condition"][0]["value"] for v in variations)
        assert langs == ["fr", "nl"], name
        assert all(v["condition"][0]["name"] == "language" for v in variations), name


def test_form_questions_exist_for_every_slot_the_form_asks():
    names = set(responses())
    assert {"utter_ask_email", "utter_ask_order_number", "utter_ask_plate", "utter_ask_order_date"} <= names


def all_sentences():
    for name, variations in responses().items():
        for v in variations:
            yield name, v["condition"][0]["value"], v["text"]
    for key, by_lang in wording.TEXTS.items():
        assert set(by_lang) == {"nl", "fr"}, key
        for lang, text in by_lang.items():
            yield key, lang, text


def words(text: str) -> int:
    return len(re.sub(r"\{[^}]*\}", " ", text).split())


# single words and fragments ("betaald", "hier via WhatsApp") are too short to judge
@pytest.mark.parametrize("name, lang, text", [s for s in all_sentences() if words(s[2]) >= 4])
def test_sentence_reads_as_its_language(name, lang, text):
    assert detect(text)[0] == lang, f"{name} [{lang}]: {text}"
