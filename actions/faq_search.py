"""The FAQ search as the actions use it: one question in the conversation language, in the
conversation's shop's collections only (issue 10).

Its own module because two actions need it: `action_answer_faq` and the handoff guard (a
`request_human` message that is really a question gets the FAQ's answer). Keeping it out of
both avoids the faq_answer <-> handoff import cycle.
"""
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def search(query: str, lang: str, shop: str | None = None) -> dict:
    """The shop's FAQ only (None: the whole base)."""
    from faq.service import search as faq_search

    return faq_search(query, k=3, lang=lang, prior=lang, shop=shop)


def in_shop(faq_id: str, shop: str | None) -> bool:
    """Is this entry one of the shop's collections? (a button payload is typed by the customer)."""
    if shop is None:
        return True
    from faq.scope import collections_for

    try:
        return faq_id.split(".", 1)[0] in collections_for(shop)
    except ValueError:
        return False


def sure_answer(result: dict) -> str | None:
    """The top answer of a search result whose decision is "answer", else None."""
    results = result.get("results") or []
    if result.get("decision") == "answer" and results:
        return str(results[0]["answer"]).strip()
    return None


def confident_answer(query: str, lang: str, shop: str | None = None) -> str | None:
    """The FAQ's answer when the search is sure (decision "answer"), else None; never raises."""
    try:
        return sure_answer(search(query.strip(), lang, shop))
    except Exception:  # noqa: BLE001 - no answer is the safe outcome
        logger.exception("FAQ search failed (shop %s)", shop)
        return None
