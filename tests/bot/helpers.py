"""Build rasa-sdk trackers and run actions the way the action server does."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from helpdesk.paths import BOT_DIR


def domain() -> dict:
    """The real domain (slots, forms) as the action server receives it."""
    merged: dict[str, Any] = {}
    for path in sorted((BOT_DIR / "domain").glob("*.yml")):
        data = yaml.safe_load(Path(path).read_text()) or {}
        for key, value in data.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


def tracker(
    text: str = "",
    intent: str | None = None,
    slots: dict[str, Any] | None = None,
    set_now: dict[str, Any] | None = None,
    entities: list[dict] | None = None,
    metadata: dict | None = None,
    active_loop: str | None = None,
    sender: str = "test-sender",
) -> Tracker:
    """A tracker right after a user message; `set_now` = slots set since that message."""
    all_slots = {name: None for name in domain()["slots"]}
    all_slots.update(failed_lookups=0.0, faq_misses=0.0)
    all_slots.update(slots or {})
    all_slots.update(set_now or {})
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or [],
              "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (set_now or {}).items()]
    return Tracker(sender, all_slots, latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, trk: Tracker) -> tuple[list[dict], list[dict]]:
    """(events, messages) of one action run."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, domain()))
    return events, dispatcher.messages


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
