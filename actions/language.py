"""The conversation language: detected on every message, with the previous language as prior.

Detection itself is `faq.language.detect` (shared with the gateway). This module adds what only
the dialogue knows: explicit switches ("in het Nederlands aub", "en français svp", "ik spreek geen
Frans"), button payloads and bare values (emails, numbers, plates) that must never flip the language.
"""
from __future__ import annotations

import re

from actions.parsing import EMAIL_RE, _fold

LANGUAGE_WORDS = {
    "nl": ("nederlands", "vlaams", "neerlandais", "dutch", "hollands", "flamand"),
    "fr": ("frans", "francais", "french", "franse"),
}
SWITCH_CONFIDENCE = 0.9
NEGATIONS = ("geen", "niet", "pas", "not", "no", "nee", "non", "jamais", "ni")
SWITCH_RE = re.compile(
    r"\b(in het|en|op|naar|in|au|spreek|spreken|praat|praten|parle|parlez|parler)\s+"
    r"(nederlands|vlaams|frans|francais|neerlandais)\b"
)


def requested_language(text: str) -> str | None:
    """The language the customer asks for, honouring negation ("je ne parle pas néerlandais")."""
    words = re.findall(r"[a-z]+", _fold(text))
    choice: str | None = None
    for i, word in enumerate(words):
        for lang, names in LANGUAGE_WORDS.items():
            if word in names:
                negated = any(w in NEGATIONS for w in words[max(0, i - 3) : i])
                if not negated:
                    choice = lang
                elif choice is None:
                    choice = "fr" if lang == "nl" else "nl"
    return choice


def is_explicit_switch(text: str) -> bool:
    return bool(SWITCH_RE.search(_fold(text)))


def _detect(text: str, prior: str | None) -> str:
    try:
        from faq.language import detect
    except ImportError:  # FAQ package missing: keep the conversation language
        return prior or "nl"
    lang, confidence = detect(text, prior=prior)
    if lang not in ("nl", "fr"):
        return prior or "nl"
    if prior and lang != prior and confidence < SWITCH_CONFIDENCE:
        return prior  # a short or odd message ("Hallo", "ok", typos) never flips the conversation
    return lang


def conversation_language(
    text: str | None, intent: str | None, current: str | None, hint: str | None
) -> str:
    """The language for this turn.

    current: the slot's previous value; hint: metadata `language` from the gateway (used as the
    prior when the conversation has no language yet).
    """
    prior = current if current in ("nl", "fr") else (hint if hint in ("nl", "fr") else None)
    text = (text or "").strip()
    if not text or text.startswith("/"):  # button payloads carry no language
        return prior or "nl"
    if intent == "change_language" or is_explicit_switch(text):
        wanted = requested_language(text)
        if wanted:
            return wanted
    # emails, numbers, plates and dates say nothing about the language
    letters = re.sub(r"[^a-zA-ZÀ-ÿ ]", " ", EMAIL_RE.sub(" ", text))
    if len(re.sub(r"\s", "", letters)) < 2:
        return prior or "nl"
    return _detect(text, prior)
