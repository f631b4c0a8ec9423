"""The FAQ search as the actions use it: one question in the conversation language.

Its own module because two actions need it: `action_answer_faq` and the handoff guard (a
`request_human` message that is really a question gets the FAQ's sure answer). Keeping it out of
both avoids the faq_answer <-> handoff import cycle.
"""
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def search(query: str, lang: str) -> dict:
    from faq.service import search as faq_search

    return faq_search(query, k=3, lang=lang, prior=lang)


def sure_answer(result: dict) -> str | None:
    """The top answer of a search result whose decision is "answer", else None."""
    results = result.get("results") or []
    if result.get("decision") == "answer" and results:
        return str(results[0]["answer"]).strip()
    return None


def confident_answer(query: str, lang: str) -> str | None:
    """The FAQ's answer when the search is sure (decision "answer"), else None; never raises."""
    try:
        return sure_answer(search(query.strip(), lang))
    except Exception:  # noqa: BLE001 - no answer is the safe outcome
        logger.exception("FAQ search failed")
        return None
