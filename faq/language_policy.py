"""The conversation language: ONE rule, used by the gateway (notices) and the bot (replies).

`faq.language.detect` says which language one message looks like. A conversation needs more:
- an explicit request switches at once ("en français svp", "ik spreek geen Frans", "Nederlands aub");
- button payloads and bare values (emails, order numbers, plates, dates) never flip the language;
- otherwise a message switches away from the previous language only when detection is sure
  (`SWITCH_CONFIDENCE`), so "Hallo", "ok" or a typo keep the conversation where it was.

The gateway decides with `conversation_language(text, prior=<conversation's language>)` and sends
the result to Rasa as metadata `language`; the bot calls the same function with that metadata as
prior. The rule is idempotent (deciding again from its own result gives the same result), so both
sides agree on every turn and a queue notice comes in the language of the bot's replies.
"""
from __future__ import annotations

import re

from faq.language import DEFAULT_LANG, LANGS, detect
from faq.language import fold as _fold

# A message switches away from the conversation's language only with at least this confidence.
SWITCH_CONFIDENCE = 0.9

LANGUAGE_WORDS = {
    "nl": ("nederlands", "vlaams", "neerlandais", "dutch", "hollands", "flamand"),
    "fr": ("frans", "francais", "french"),
}
_NAMES = {word: lang for lang, words in LANGUAGE_WORDS.items() for word in words}
NEGATIONS = ("geen", "niet", "pas", "not", "jamais", "ni", "plus")
SWITCH_RE = re.compile(
    r"\b(in het|en|op|naar|in|au|spreek|spreken|praat|praten|parle|parlez|parler|parles)\s+"
    r"(nederlands|vlaams|frans|francais|neerlandais)\b"
)
# A short message made only of these words and a language name is a request ("Nederlands aub",
# "kan je Nederlands praten?", "ik versta geen Frans"); "een Franse nummerplaat" is not.
REQUEST_WORDS = frozenset("""
    aub alstublieft alsjeblieft graag merci svp stp s il vous plait please dank bedankt
    ik je jij u ge we wij kan kun kunt kunnen mag wil wilt zou spreek spreekt spreken praat praten
    versta verstaat begrijp schrijf antwoord antwoorden ook liever maar doe het in op naar verder
    andere taal wijzigen veranderen overschakelen schakel over
    tu parle parles parlez parler comprends comprend ecris reponds repondez continuer continuez
    passer passez en au le la un une autre langue changer plutot possible est c on peut pouvez
    moi nous ne veux voudrais voulez prefere preferes zullen eens verkies
""".split())
MAX_REQUEST_WORDS = 8
_EMAIL = re.compile(r"\S+@\S+")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", _fold(text))


def requested_language(text: str) -> str | None:
    """The language the text names, honouring negation ("je ne parle pas néerlandais" -> fr)."""
    words = _words(text)
    choice: str | None = None
    for i, word in enumerate(words):
        lang = _NAMES.get(word)
        if lang is None:
            continue
        if not any(w in NEGATIONS for w in words[max(0, i - 3):i]):
            choice = lang
        elif choice is None:
            choice = "fr" if lang == "nl" else "nl"
    return choice


def is_language_request(text: str) -> bool:
    """True when the customer asks for a language, not merely mentions one."""
    folded = _fold(text)
    if SWITCH_RE.search(folded):
        return True
    words = _words(text)
    if not any(w in _NAMES for w in words) or len(words) > MAX_REQUEST_WORDS:
        return False
    return all(w in _NAMES or w in REQUEST_WORDS or w in NEGATIONS for w in words)


def has_language(text: str) -> bool:
    """False for button payloads and bare values (emails, numbers, plates, dates)."""
    if not text or text.startswith("/"):
        return False
    letters = re.sub(r"[^a-zA-ZÀ-ÿ]", "", _EMAIL.sub(" ", text))
    return len(letters) >= 2


def conversation_language(text: str | None, prior: str | None) -> str:
    """The conversation's language after this customer message ("nl" or "fr", never anything else).

    prior: the conversation's language so far (None for a new conversation).
    """
    prior = prior if prior in LANGS else None
    fallback = prior or DEFAULT_LANG
    text = (text or "").strip()
    if not has_language(text):
        return fallback
    if is_language_request(text):
        wanted = requested_language(text)
        if wanted:
            return wanted
    lang, confidence = detect(text, prior=prior)
    if lang not in LANGS:
        return fallback
    if prior and lang != prior and confidence < SWITCH_CONFIDENCE:
        return prior
    return lang
