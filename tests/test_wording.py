"""The catalogue of customer-facing sentences (helpdesk/wording.py) is complete in NL and FR."""
from __future__ import annotations

import ast
import datetime as dt
import string
from pathlib import Path

import pytest
import yaml

from helpdesk import wording
from helpdesk.paths import BOT_DIR, ROOT


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("key", sorted(wording.TEXTS))
def test_every_key_in_both_languages_with_the_same_placeholders(key):
    by_lang = wording.TEXTS[key]
    assert set(by_lang) == set(wording.LANGS), key
    assert all(isinstance(t, str) and t.strip() for t in by_lang.values()), f"empty text for {key}"
    assert placeholders(by_lang["nl"]) == placeholders(by_lang["fr"]), key


def test_word_lists_have_the_same_length_in_both_languages():
    for name, by_lang in wording.NAMES.items():
        assert set(by_lang) == set(wording.LANGS), name
        assert len(by_lang["nl"]) == len(by_lang["fr"]) > 0, name
        assert all(w.strip() for words in by_lang.values() for w in words), name


def test_text_fills_placeholders_and_defaults_to_dutch():
    assert wording.text("taken", "fr", name="Els") == "Els prend le relais."
    assert wording.text("taken", None, name="Els") == "Els neemt het gesprek over."
    assert wording.either("email_subject") == "Uw vraag / Votre question"
    assert wording.format_date(dt.date(2026, 3, 1), "fr") == "1er mars 2026"
    with pytest.raises(KeyError):
        wording.text("no_such_sentence", "nl")


def test_every_domain_response_has_nl_and_fr():
    responses = yaml.safe_load((BOT_DIR / "domain" / "responses.yml").read_text())["responses"]
    assert responses
    for name, variations in responses.items():
        by_lang = {v["condition"][0]["value"]: v.get("text", "") for v in variations}
        assert sorted(by_lang) == ["fr", "nl"], name
        assert all(t.strip() for t in by_lang.values()), name
        assert placeholders(by_lang["nl"]) == placeholders(by_lang["fr"]), name


def _inline_translations(path: Path) -> list[int]:
    """Lines of dict literals {"nl": "<text>", "fr": "<text>"}: sentences outside the catalogue."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            texts = [v for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if {"nl", "fr"} <= keys and texts:
                found.append(node.lineno)
    return found


def test_no_customer_sentences_outside_the_catalogue():
    """Bot actions and gateway notices take their sentences from helpdesk.wording only."""
    offenders = {}
    for folder in ("actions", "connectors"):
        for path in (ROOT / folder).rglob("*.py"):
            lines = _inline_translations(path)
            if lines:
                offenders[str(path.relative_to(ROOT))] = lines
    assert offenders == {}
