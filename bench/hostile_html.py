"""How long the email channel's HTML-to-text step takes on 1 MB of hostile markup (issue 12).

    python bench/hostile_html.py [--size BYTES]

Prints one line per pattern: its size and the seconds `html_to_text` took (target < 1 s each).
Unmatched end tags under thousands of open ones used to make it quadratic (minutes).
"""
from __future__ import annotations

import argparse
import time

from connectors.channels.email.parse import html_to_text

PATTERNS = {
    "open spans + stray end tags": ("<span>", "</i>"),
    "stray block end tags": ("</p>", ""),
    "nested divs never closed": ("<div>", ""),
    "nested blockquotes closed": ("<blockquote>", "</blockquote>"),
    "unfinished tags": ("<a href=x ", ""),
    "unfinished comments": ("<!--", ""),
    "lone angle brackets": ("<", ""),
    "character references": ("&#x41;&amp;", ""),
}


def hostile(open_part: str, close_part: str, size: int) -> str:
    """`size` characters: first the openers, then as many closers (or openers alone)."""
    unit = len(open_part) + len(close_part)
    n = max(1, size // unit)
    return open_part * n + close_part * n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="characters per document")
    args = parser.parse_args()
    worst = 0.0
    for name, (open_part, close_part) in PATTERNS.items():
        doc = hostile(open_part, close_part, args.size)
        start = time.perf_counter()
        html_to_text(doc)
        took = time.perf_counter() - start
        worst = max(worst, took)
        print(f"{name:32s} {len(doc) / 1e6:5.2f} MB  {took:6.3f} s")
    print(f"worst {worst:.3f} s")


if __name__ == "__main__":
    main()
