"""Business hours with fixed instants, across both DST changes of 2026 in Europe/Brussels."""
from __future__ import annotations

import datetime as dt

import pytest

from connectors import hours

UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def week() -> hours.Schedule:
    return hours.parse("mon-fri 09:00-17:00; sat 10:00-14:00")


def test_open_inside_hours_winter_and_summer(week):
    # 2026-01-14 is a Wednesday; Brussels = UTC+1 in winter.
    assert hours.is_open(week, utc(2026, 1, 14, 8, 0))       # 09:00 local
    assert not hours.is_open(week, utc(2026, 1, 14, 7, 59))  # 08:59 local
    assert not hours.is_open(week, utc(2026, 1, 14, 16, 0))  # 17:00 local: end is exclusive
    # 2026-07-15 is a Wednesday; UTC+2 in summer: 07:30 UTC = 09:30 local.
    assert hours.is_open(week, utc(2026, 7, 15, 7, 30))
    assert not hours.is_open(week, utc(2026, 7, 15, 15, 30))  # 17:30 local


def test_next_opening_across_spring_forward(week):
    # Saturday 2026-03-28 15:00 local (14:00 UTC) is after Saturday hours; DST starts Sunday 29 March.
    opening = hours.next_opening(week, utc(2026, 3, 28, 14, 0))
    assert opening.isoformat() == "2026-03-30T09:00:00+02:00"
    assert opening.astimezone(UTC) == utc(2026, 3, 30, 7, 0)


def test_next_opening_across_fall_back(week):
    # Friday 2026-10-23 18:00 local (16:00 UTC, summer time); DST ends Sunday 25 October.
    opening = hours.next_opening(week, utc(2026, 10, 23, 16, 0))
    assert opening.isoformat() == "2026-10-24T10:00:00+02:00"  # Saturday still summer time
    opening = hours.next_opening(week, utc(2026, 10, 24, 13, 0))  # Saturday 15:00 local
    assert opening.isoformat() == "2026-10-26T09:00:00+01:00"
    assert opening.astimezone(UTC) == utc(2026, 10, 26, 8, 0)


def test_same_utc_hour_differs_between_summer_and_winter(week):
    # 07:30 UTC is 08:30 local in winter (closed) but 09:30 local in summer (open).
    assert not hours.is_open(week, utc(2026, 3, 27, 7, 30))  # Friday before spring forward
    assert hours.is_open(week, utc(2026, 3, 30, 7, 30))      # Monday after


def test_next_opening_when_open_is_now(week):
    now = utc(2026, 1, 14, 10, 0)
    assert hours.next_opening(week, now) == now


def test_multiple_ranges_and_wrapping_days():
    schedule = hours.parse("mon-thu 08:30-12:00,13:00-17:30; sat-sun 10:00-12:00")
    lunch = utc(2026, 1, 12, 11, 30)  # Monday 12:30 local
    assert not hours.is_open(schedule, lunch)
    assert hours.next_opening(schedule, lunch).isoformat() == "2026-01-12T13:00:00+01:00"
    assert hours.is_open(schedule, utc(2026, 1, 18, 9, 30))  # Sunday 10:30 local
    assert not hours.is_open(schedule, utc(2026, 1, 16, 10, 0))  # Friday closed


def test_always_and_no_hours():
    assert hours.is_open(hours.parse("always"), utc(2026, 1, 18, 3, 0))
    closed = hours.parse("sat 10:00-11:00; sat 10:00-10:30")  # later group replaces earlier
    assert not hours.is_open(closed, utc(2026, 1, 17, 9, 40))  # 10:40 local
    assert hours.next_opening(closed, utc(2026, 1, 17, 9, 40)).isoformat() == "2026-01-24T10:00:00+01:00"
    assert hours.next_opening(hours.Schedule(), utc(2026, 1, 17, 9, 40)) is None


@pytest.mark.parametrize("spec", ["monday 09:00-17:00", "mon-fri 9-17", "mon-fri 17:00-09:00",
                                  "mon-fri", "mon-fri 09:00-25:00", "mon-fri 09:60-10:00"])
def test_bad_specs_are_refused_clearly(spec):
    with pytest.raises(ValueError, match="BUSINESS_HOURS"):
        hours.parse(spec)


def test_bad_timezone():
    with pytest.raises(ValueError, match="BUSINESS_TZ"):
        hours.parse(None, "Mars/Olympus")


def test_naive_datetime_refused(week):
    with pytest.raises(ValueError, match="aware"):
        hours.is_open(week, dt.datetime(2026, 1, 14, 10, 0))


def test_describe_in_both_languages(week):
    now = utc(2026, 1, 16, 18, 0)  # Friday 19:00 local
    opening = hours.next_opening(week, now)
    assert hours.describe(opening, now, "nl") == "morgen om 10:00"
    assert hours.describe(opening, now, "fr") == "demain à 10h00"
    now = utc(2026, 1, 17, 14, 0)  # Saturday 15:00 local
    opening = hours.next_opening(week, now)
    assert hours.describe(opening, now, "nl") == "maandag om 09:00"
    assert hours.describe(opening, now, "fr") == "lundi à 9h00"


def test_gateway_reads_setting_and_survives_a_typo(monkeypatch, tmp_path, caplog):
    from connectors.app import create_app

    monkeypatch.setenv("BUSINESS_HOURS", "sat 10:00-14:00")
    app = create_app({"HELPDESK_DB": str(tmp_path / "a.db")})
    assert hours.is_open(app["business_hours"], utc(2026, 1, 17, 10, 0))      # Saturday 11:00 local
    assert not hours.is_open(app["business_hours"], utc(2026, 1, 14, 10, 0))  # Wednesday
    app["db"].conn.close()
    monkeypatch.setenv("BUSINESS_HOURS", "mon-fri 9h-17h")
    app = create_app({"HELPDESK_DB": str(tmp_path / "b.db")})
    assert "BUSINESS_HOURS" in caplog.text
    assert hours.is_open(app["business_hours"], utc(2026, 1, 14, 10, 0))  # default mon-fri 09-17
    app["db"].conn.close()
