"""Warm the bot up before `helpdesk up` says it is ready.

Why: the first turn after Rasa loads its model took 3.5 s (lazy loading in Rasa and in the action
server: language detection, the FAQ index, the first custom-action call), and under
`bench/load.py` the conversations that arrived first all queued behind it (p99 2.7 s against
0.3 s once warm). A few throwaway turns, in both languages and through the FAQ and the order
form, pay that cost before any customer does.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

# (language, text): a greeting, FAQ questions, the start of an order lookup (no lookup is made,
# so no per-customer failure counter moves), and a question the FAQ cannot answer.
TURNS: tuple[tuple[str, str], ...] = (
    ("nl", "hallo"),
    ("nl", "Hoe kan ik een product terugsturen?"),
    ("fr", "Comment télécharger ma facture ?"),
    ("nl", "waar is mijn bestelling?"),
    ("fr", "où est ma commande ?"),
    ("fr", "quelle est la couleur du ciel sur Mars ?"),
)


def _say(rasa_url: str, sender: str, lang: str, text: str, timeout: float) -> bool:
    body = json.dumps({"sender": sender, "message": text,
                       "metadata": {"language": lang, "channel": "warmup"}}).encode()
    req = urllib.request.Request(f"{rasa_url.rstrip('/')}/webhooks/rest/webhook", data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status == 200 and isinstance(json.loads(resp.read() or b"null"), list)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def warm_up(rasa_url: str, timeout: float = 60.0) -> tuple[int, float]:
    """Send TURNS to Rasa (each language in its own throwaway conversation).

    Returns (turns answered, seconds taken). Never raises: a bot that cannot be warmed is
    reported by the health checks, not here.
    """
    started = time.monotonic()
    senders = {lang: f"warmup-{lang}-{uuid.uuid4().hex[:8]}" for lang in ("nl", "fr")}
    answered = 0
    for lang, text in TURNS:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            break
        answered += _say(rasa_url, senders[lang], lang, text, left)
    return answered, time.monotonic() - started
