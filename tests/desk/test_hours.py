"""Business hours: when a person can answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desk.hours import BusinessHours, parse_hours

# 2026-11-23 is a Monday.
MONDAY_NINE_LONDON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_business_hours_follow_days_and_times_in_the_desks_timezone():
    hours = BusinessHours("mon-fri 08:00-20:00, sat 09:00-13:00", "Europe/London")
    assert hours.is_open(MONDAY_NINE_LONDON)
    assert not hours.is_open(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # closes at 20:00
    assert hours.is_open(datetime(2026, 11, 28, 12, 59, tzinfo=UTC))  # Saturday morning
    assert not hours.is_open(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))  # Sunday
    opening = hours.next_opening(datetime(2026, 11, 28, 14, 0, tzinfo=UTC))  # Saturday afternoon
    assert opening is not None
    assert (opening.strftime("%A %H:%M")) == "Monday 08:00"


def test_business_hours_respect_summer_time():
    hours = BusinessHours("mon-fri 09:00-17:00", "Europe/London")
    assert hours.is_open(datetime(2026, 7, 1, 8, 30, tzinfo=UTC))  # 09:30 BST
    assert not hours.is_open(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # 08:30 GMT


def test_round_the_clock_and_wrapping_day_ranges():
    assert BusinessHours("mon-sun 00:00-24:00", "UTC").is_open(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))
    assert [w.day for w in parse_hours("sat-mon 10:00-11:00")] == [5, 6, 0]


@pytest.mark.parametrize("spec", ["", "weekdays 9-5", "mon 18:00-09:00", "funday 09:00-10:00"])
def test_bad_business_hours_are_refused_with_the_reason(spec):
    with pytest.raises(ValueError, match=r"business hours|day"):
        parse_hours(spec)
