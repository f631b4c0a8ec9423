"""REST-turn latency of the bot: an FAQ turn and an order-lookup turn, median and p95.

    .venv/bin/python bench/rasa_turns.py [--turns 40]

Starts the same real stack as the tests (Rasa from .venv-rasa + the action server, free loopback
ports, demo orders in a temporary ORDERS_DB), warms it up, then times sequential REST turns the
way the gateway sends them. Each turn uses a fresh sender so tracker length does not grow.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from actions.demo import seed_demo  # noqa: E402
from support.rasa_stack import start_stack  # noqa: E402

FAQ_QUESTIONS = [
    ("nl", "Hoe kan ik een product terugsturen?"),
    ("fr", "Comment télécharger ma facture ?"),
    ("nl", "Wat kost de verzending naar België?"),
    ("fr", "Je peux payer avec Bancontact ?"),
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(stack, sender: str, text: str, lang: str) -> float:
    started = time.perf_counter()
    stack.say(sender, text, {"language": lang, "channel": "web"})
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rasa-bench-"))
    seed_demo(str(workdir / "orders.db"))
    print("starting Rasa + action server ...", file=sys.stderr)
    stack = start_stack(workdir)
    try:
        for lang, question in FAQ_QUESTIONS:  # warm-up: FAQ index, TF graphs
            timed(stack, f"warm-{uuid.uuid4().hex}", question, lang)
        faq, lookup = [], []
        for i in range(args.turns):
            lang, question = FAQ_QUESTIONS[i % len(FAQ_QUESTIONS)]
            faq.append(timed(stack, f"faq-{uuid.uuid4().hex}", question, lang))
            # lookup turn: the last form turn (order number given) -> form ends -> action_lookup_order
            sender = f"lookup-{uuid.uuid4().hex}"
            stack.say(sender, "waar is mijn bestelling?", {"language": "nl"})
            stack.say(sender, "an.devos@example.be", {"language": "nl"})
            lookup.append(timed(stack, sender, "mijn bestelnummer is 10000002", "nl"))
        for name, values in (("FAQ turn", faq), ("lookup turn", lookup)):
            print(f"{name:12s} n={len(values)} median {statistics.median(values):6.0f} ms  "
                  f"p95 {pct(values, 0.95):6.0f} ms  max {max(values):6.0f} ms")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
