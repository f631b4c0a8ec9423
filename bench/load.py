"""Web-chat load test: N concurrent conversations over /ws/chat against a running `helpdesk up`.

    .venv/bin/python bench/load.py http://127.0.0.1:8080 --conversations 50 --turns 10

Each conversation opens a socket, then does `--turns` turns: send a customer question (the FAQ
questions and their alternative phrasings in NL and FR, taken from faq/), wait for the bot's first reply, think for a random
time (`--think`, like a person reading), repeat. Prints turns/s and the latency from send to the
bot's first message (p50/p90/p99/max). "Lost" counts turns without a reply in time plus, at the
end, any sent message missing from the server's history after reconnecting with the token: it
must be 0. Bounded by `--max-seconds`.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
FALLBACK = {
    "nl": ["Waar is mijn bestelling?", "Hoe kan ik iets retourneren?", "Waar vind ik mijn factuur?"],
    "fr": ["Où est ma commande ?", "Comment retourner un article ?", "Où trouver ma facture ?"],
}


def questions() -> dict[str, list[str]]:
    """FAQ questions per language (the bot should answer these), or a small fallback set."""
    found: dict[str, list[str]] = {"nl": [], "fr": []}
    for lang in found:
        for path in sorted((ROOT / "faq" / lang).glob("*.yml")):
            try:
                entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            except (OSError, yaml.YAMLError):
                continue
            for e in entries if isinstance(entries, list) else []:
                if isinstance(e, dict):  # the way customers ask: the question and its alternatives
                    found[lang] += [q for q in [e.get("question"), *(e.get("alternatives") or [])] if q]
    return {lang: qs or FALLBACK[lang] for lang, qs in found.items()}


class Conversation:
    def __init__(self, n: int, lang: str) -> None:
        self.n, self.lang = n, lang
        self.latencies: list[float] = []
        self.turns: list[tuple[float, float, str]] = []  # (sent at, latency s, text) for --slowest
        self.sent = 0
        self.lost = 0
        self.handoff = False
        self.errors: list[str] = []
        self.token: str | None = None
        self.frames: asyncio.Queue = asyncio.Queue()


async def _reader(ws: aiohttp.ClientWebSocketResponse, conv: Conversation) -> None:
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            conv.frames.put_nowait(json.loads(msg.data))
    conv.frames.put_nowait({"type": "closed"})


async def _wait_reply(conv: Conversation, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            frame = await asyncio.wait_for(conv.frames.get(), left)
        except asyncio.TimeoutError:
            return None
        if frame.get("type") == "message" and frame.get("from") in ("bot", "agent"):
            return frame
        if frame.get("type") == "state" and frame.get("state") in ("pending", "agent"):
            conv.handoff = True
        if frame.get("type") == "error":
            conv.errors.append(frame.get("code", "?"))
        if frame.get("type") == "closed":
            return None


async def run_conversation(session: aiohttp.ClientSession, url: str, conv: Conversation,
                           qs: list[str], turns: int, think: tuple[float, float], timeout: float,
                           stop_at: float) -> None:
    ws_url = url.replace("http", "ws", 1).rstrip("/") + f"/ws/chat?lang={conv.lang}"
    try:
        async with session.ws_connect(ws_url, heartbeat=30) as ws:
            reader = asyncio.create_task(_reader(ws, conv))
            first = await asyncio.wait_for(conv.frames.get(), timeout)
            conv.token = first.get("token")
            await asyncio.sleep(random.uniform(0, think[1]))  # stagger the starts
            for turn in range(turns):
                if time.monotonic() > stop_at:
                    break
                while not conv.frames.empty():  # late extra replies of the previous turn
                    conv.frames.get_nowait()
                text = random.choice(qs)
                t0 = time.perf_counter()
                await ws.send_json({"type": "message", "text": text, "id": f"b{conv.n}-{turn}"})
                conv.sent += 1
                reply = await _wait_reply(conv, timeout)
                if reply is None:
                    if conv.handoff:
                        break  # a human would answer now: not the bot's load any more
                    conv.lost += 1
                else:
                    conv.latencies.append(time.perf_counter() - t0)
                    conv.turns.append((t0, conv.latencies[-1], text))
                await asyncio.sleep(random.uniform(*think))
            reader.cancel()
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        conv.errors.append(f"{type(exc).__name__}: {exc}")


async def verify_history(session: aiohttp.ClientSession, url: str, conv: Conversation) -> tuple[int, int]:
    """Reconnect with the token and read what the server kept: (missing, unanswered).

    missing: sent customer messages absent from the history. unanswered: in a conversation still
    with the bot, customer messages without a bot reply (each turn yields at least one reply).
    """
    if not conv.token:
        return conv.sent, 0
    ws_url = url.replace("http", "ws", 1).rstrip("/") + f"/ws/chat?token={conv.token}"
    history, state = None, None
    async with session.ws_connect(ws_url) as ws:
        while state is None:
            frame = json.loads((await ws.receive(timeout=30)).data)
            if frame["type"] == "history":
                history = frame["messages"]
            elif frame["type"] == "state":
                state = frame["state"]
    customer = sum(1 for m in history if m["from"] == "customer")
    replies = sum(1 for m in history if m["from"] != "customer")
    return max(0, conv.sent - customer), (max(0, customer - replies) if state == "bot" else 0)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", help="gateway base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--conversations", "-n", type=int, default=50)
    ap.add_argument("--turns", "-t", type=int, default=10)
    ap.add_argument("--think", default="2,6", help="seconds between turns per conversation: min,max")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a reply")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="stop starting turns after this")
    ap.add_argument("--settle", type=float, default=10.0, help="seconds to let late replies land before checking")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slowest", type=int, default=0, help="also list the K slowest turns (when sent, text)")
    args = ap.parse_args()
    random.seed(args.seed)
    think = tuple(float(x) for x in args.think.split(","))
    qs = questions()
    convs = [Conversation(i, "nl" if i % 2 == 0 else "fr") for i in range(args.conversations)]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        stop_at = time.monotonic() + args.max_seconds
        await asyncio.gather(*(run_conversation(session, args.url, c, qs[c.lang], args.turns, think,
                                                args.timeout, stop_at) for c in convs))
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(args.settle)  # late replies still on their way are not lost
        checks = await asyncio.gather(*(verify_history(session, args.url, c) for c in convs))
    missing = sum(m for m, _ in checks)
    unanswered = sum(u for _, u in checks)
    lat = [x for c in convs for x in c.latencies]
    answered = len(lat)
    late = sum(c.lost for c in convs)
    lost = missing + unanswered
    errors = [e for c in convs for e in c.errors]
    print(f"conversations        {args.conversations} (think {args.think} s, {args.turns} turns each)")
    print(f"turns sent/answered  {sum(c.sent for c in convs)} / {answered} in time")
    print(f"duration             {elapsed:.1f} s")
    print(f"throughput           {answered / elapsed:.1f} turns/s")
    if lat:
        print(f"latency ms           p50 {pct(lat, 50) * 1000:.0f}  p90 {pct(lat, 90) * 1000:.0f}  "
              f"p99 {pct(lat, 99) * 1000:.0f}  max {max(lat) * 1000:.0f}  mean {statistics.mean(lat) * 1000:.0f}")
    print(f"late (> {args.timeout:.0f} s)       {late}")
    print(f"handed off           {sum(c.handoff for c in convs)} conversation(s) (bot stops answering them)")
    print(f"messages lost        {lost}  (missing from history: {missing}, never answered: {unanswered})")
    if args.slowest:
        slow = sorted((x for c in convs for x in c.turns), key=lambda x: -x[1])[:args.slowest]
        for sent_at, latency, text in slow:
            print(f"  slow turn at +{sent_at - t0:6.1f} s  {latency * 1000:6.0f} ms  {text[:60]}")
    if errors:
        print(f"errors               {len(errors)}: {sorted(set(errors))[:5]}")
    return 0 if lost == 0 and not errors else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
