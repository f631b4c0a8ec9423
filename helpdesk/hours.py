"""Business hours: when a human agent is expected to answer (per shop: shops.yml `business_hours`).

The handoff notice tells a customer who escalates outside these hours when someone will answer.
Hours are wall-clock times in one timezone (default Europe/Brussels, through `zoneinfo` + the
`tzdata` package so it works without the OS database), so summer/winter time is handled by the
timezone rules rather than by hand.

Setting `BUSINESS_HOURS` (default `mon-fri 09:00-17:00`):

    BUSINESS_HOURS="mon-fri 09:00-17:00; sat 10:00-14:00"
    BUSINESS_HOURS="mon-thu 08:30-12:00,13:00-17:30; fri 08:30-16:00"
    BUSINESS_HOURS="always"          # agents around the clock

Groups are separated by `;`; each is a day or day range (`mon`..`sun`, ranges may wrap: `sat-sun`)
followed by one or more `HH:MM-HH:MM` ranges separated by `,`. Days not named are closed. A later
group for the same day replaces the earlier one. `BUSINESS_TZ` overrides the timezone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk import wording

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_SPEC = "mon-fri 09:00-17:00"
DEFAULT_TZ = "Europe/Brussels"

Range = tuple[dt.time, dt.time]


@dataclass(frozen=True)
class Schedule:
    """Opening ranges per weekday (0 = Monday) in `tz`; `always` = open around the clock."""

    days: dict[int, tuple[Range, ...]] = field(default_factory=dict)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))
    always: bool = False


def _parse_time(text: str, spec: str) -> dt.time:
    try:
        hours, minutes = text.split(":")
        if len(minutes) != 2:
            raise ValueError
        h, m = int(hours), int(minutes)
    except ValueError:
        raise ValueError(f"BUSINESS_HOURS: bad time {text!r} in {spec!r} (use HH:MM)") from None
    if h == 24 and m == 0:
        return dt.time.max  # "…-24:00" = until midnight
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"BUSINESS_HOURS: time out of range {text!r} in {spec!r}")
    return dt.time(h, m)


def _parse_days(text: str, spec: str) -> list[int]:
    parts = text.split("-")
    if len(parts) > 2 or any(p not in DAYS for p in parts):
        raise ValueError(f"BUSINESS_HOURS: bad day {text!r} in {spec!r} (use mon..sun or e.g. mon-fri)")
    start = DAYS.index(parts[0])
    end = DAYS.index(parts[-1])
    return [(start + i) % 7 for i in range((end - start) % 7 + 1)]


def parse(spec: str | None, tz: str | None = None) -> Schedule:
    """Parse a `BUSINESS_HOURS` value; raises ValueError with the offending part on bad input."""
    try:
        zone = ZoneInfo(tz or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"BUSINESS_TZ: unknown timezone {tz!r}") from None
    spec = (spec or DEFAULT_SPEC).strip()
    if spec.lower() in ("always", "24/7"):
        return Schedule(tz=zone, always=True)
    days: dict[int, tuple[Range, ...]] = {}
    for group in filter(None, (g.strip() for g in spec.split(";"))):
        try:
            day_part, ranges_part = group.lower().split(None, 1)
        except ValueError:
            raise ValueError(f"BUSINESS_HOURS: {group!r} needs days and hours, e.g. 'mon-fri 09:00-17:00'") from None
        ranges: list[Range] = []
        for rng in ranges_part.replace(" ", "").split(","):
            try:
                start_s, end_s = rng.split("-")
            except ValueError:
                raise ValueError(f"BUSINESS_HOURS: bad range {rng!r} in {spec!r} (use HH:MM-HH:MM)") from None
            start, end = _parse_time(start_s, spec), _parse_time(end_s, spec)
            if end <= start:
                raise ValueError(f"BUSINESS_HOURS: range {rng!r} ends before it starts")
            ranges.append((start, end))
        for day in _parse_days(day_part, spec):
            days[day] = tuple(sorted(ranges))
    return Schedule(days=days, tz=zone)


def from_settings() -> Schedule:
    """The configured schedule (`BUSINESS_HOURS`, `BUSINESS_TZ`)."""
    from helpdesk import settings

    current = settings.current()
    return parse(current.BUSINESS_HOURS, current.BUSINESS_TZ)


def _local(schedule: Schedule, when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise ValueError("business hours need an aware datetime (naive times are ambiguous)")
    return when.astimezone(schedule.tz)


def is_open(schedule: Schedule, when: dt.datetime) -> bool:
    """Whether `when` (any aware datetime) falls inside opening hours."""
    if schedule.always:
        return True
    local = _local(schedule, when)
    now = local.time().replace(tzinfo=None)
    return any(start <= now < end or (end == dt.time.max and now >= start)
               for start, end in schedule.days.get(local.weekday(), ()))


def next_opening(schedule: Schedule, when: dt.datetime) -> dt.datetime | None:
    """When agents are next available: `when` itself if open, else the next range start (local time).

    Returns None when the schedule has no opening hours at all. Each candidate is built from the
    local calendar date + wall-clock time so DST changes in between move the UTC instant, not the
    opening time the customer reads.
    """
    if is_open(schedule, when):
        return _local(schedule, when)
    local = _local(schedule, when)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        for start, _end in schedule.days.get(day.weekday(), ()):
            candidate = dt.datetime.combine(day, start, tzinfo=schedule.tz)
            if candidate > local:
                return candidate
    return None


def describe(opening: dt.datetime, now: dt.datetime, lang: str) -> str:
    """Human wording of an opening time for the customer: 'morgen om 09:00', 'lundi à 10h00'."""
    lang = wording.lang_or_default(lang)
    local_now = now.astimezone(opening.tzinfo)
    days = (opening.date() - local_now.date()).days
    clock = wording.text("clock", lang, hour=opening.hour, minute=opening.minute)
    day = (wording.text("today", lang) if days == 0 else wording.text("tomorrow", lang) if days == 1
           else wording.WEEKDAYS[lang][opening.weekday()])
    return wording.text("opening_at", lang, day=day, clock=clock)
