"""Acceptance 1: business-time arithmetic by examples and by properties."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.business_time import (
    MIN_WEEKLY_MINUTES,
    TWENTY_FOUR_SEVEN,
    EmptySchedule,
    Schedule,
    add_business_minutes,
    business_minutes_between,
    subtract_business_minutes,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = {day: ((9 * 60, 17 * 60),) for day in range(5)}  # Monday-Friday


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


OFFICE = Schedule(timezone="Europe/Berlin", weekly=NINE_TO_FIVE)


def test_elapsed_time_not_wall_clock_time_is_added():
    # Saturday 12:00 Berlin + 24 h on a 24/7 calendar, starting from a Berlin-zoned value.
    due = add_business_minutes(berlin(2026, 3, 28, 12, 0), 24 * 60)

    assert due == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)


def test_inside_one_day():
    assert add_business_minutes(berlin(2026, 11, 30, 10, 0), 120, OFFICE) == berlin(2026, 11, 30, 12, 0)


def test_overnight_carries_to_the_next_morning():
    # Monday 16:00 + 3 h = 1 h on Monday, 2 h on Tuesday from 09:00.
    assert add_business_minutes(berlin(2026, 11, 30, 16, 0), 180, OFFICE) == berlin(2026, 12, 1, 11, 0)


def test_a_start_outside_hours_begins_at_the_next_opening():
    assert add_business_minutes(berlin(2026, 11, 30, 6, 30), 30, OFFICE) == berlin(2026, 11, 30, 9, 30)
    assert add_business_minutes(berlin(2026, 11, 30, 22, 0), 30, OFFICE) == berlin(2026, 12, 1, 9, 30)


def test_weekends_do_not_count():
    # Friday 15:00 + 4 h = 2 h Friday + 2 h Monday.
    assert add_business_minutes(berlin(2026, 12, 4, 15, 0), 240, OFFICE) == berlin(2026, 12, 7, 11, 0)
    assert business_minutes_between(berlin(2026, 12, 4, 15, 0), berlin(2026, 12, 7, 11, 0), OFFICE) == 240


def test_holidays_do_not_count():
    christmas = Schedule(
        timezone="Europe/Berlin",
        weekly=NINE_TO_FIVE,
        holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}),
    )
    # Wednesday 23 Dec 16:00 + 2 h: 1 h that day, then Thu 24 and Fri 25 are holidays, the weekend, Monday 28.
    assert add_business_minutes(berlin(2026, 12, 23, 16, 0), 120, christmas) == berlin(2026, 12, 28, 10, 0)


def test_the_end_of_an_interval_is_a_valid_due_time():
    assert add_business_minutes(berlin(2026, 11, 30, 9, 0), 8 * 60, OFFICE) == berlin(2026, 11, 30, 17, 0)


def test_split_shifts():
    lunch_break = Schedule(weekly={0: ((9 * 60, 12 * 60), (13 * 60, 17 * 60))})
    monday = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)

    assert add_business_minutes(monday, 120, lunch_break) == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def test_twenty_four_seven_across_the_spring_change_in_berlin():
    # Clocks go from 02:00 to 03:00 on Sunday 29 March 2026: 24 real hours later is 01:00 + 25 h wall time.
    start = berlin(2026, 3, 28, 12, 0)
    due = add_business_minutes(start, 24 * 60, Schedule(timezone="Europe/Berlin"))

    assert due == start.astimezone(UTC) + timedelta(hours=24)
    assert due.astimezone(BERLIN).hour == 13  # the wall clock moved by 25 h


def test_office_hours_across_the_autumn_change_in_new_york():
    # 1 November 2026: clocks fall back at 02:00. Office hours are wall-clock hours either way.
    office = Schedule(timezone="America/New_York", weekly=NINE_TO_FIVE)
    friday = datetime(2026, 10, 30, 16, 0, tzinfo=NEW_YORK)

    due = add_business_minutes(friday, 120, office)

    assert due == datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK)
    assert due == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 EST is 15:00 UTC; Friday's 16:00 EDT was 20:00


def test_a_night_shift_spanning_the_fall_back_hour_lasts_nine_real_hours():
    # 22:00-24:00 and 00:00-06:00 in New York on the night of the change: 2 + 7 = 9 real hours.
    nights = Schedule(timezone="America/New_York", weekly={day: ((0, 6 * 60), (22 * 60, 1440)) for day in range(7)})
    evening = datetime(2026, 10, 31, 22, 0, tzinfo=NEW_YORK)
    morning = datetime(2026, 11, 1, 6, 0, tzinfo=NEW_YORK)

    assert business_minutes_between(evening, morning, nights) == 9 * 60


def test_a_schedule_without_hours_is_refused():
    with pytest.raises(EmptySchedule):
        Schedule(weekly={})


def test_a_schedule_whose_every_day_is_a_holiday_cannot_find_a_due_time():
    only_one_day = Schedule(weekly={0: ((540, 600),)}, holidays=frozenset({date(2026, 11, 30)}))

    assert add_business_minutes(datetime(2026, 11, 30, 9, tzinfo=UTC), 30, only_one_day) == datetime(
        2026, 12, 7, 9, 30, tzinfo=UTC
    )


# --- Properties ----------------------------------------------------------------------

zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
ranges = st.lists(
    st.tuples(st.integers(0, 1439), st.integers(1, 1440)).filter(lambda r: r[0] < r[1]),
    min_size=0,
    max_size=2,
).map(lambda rs: tuple(sorted(rs)))
non_overlapping = ranges.filter(lambda rs: all(a[1] <= b[0] for a, b in itertools.pairwise(rs)))


@st.composite
def schedules(draw) -> Schedule:
    weekly = {day: draw(non_overlapping) for day in range(7)}
    if sum(end - start for rs in weekly.values() for start, end in rs) < MIN_WEEKLY_MINUTES:
        weekly[draw(st.integers(0, 6))] = ((540, 600),)  # the least a calendar may hold
    holidays = frozenset(draw(st.lists(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=10)))
    return Schedule(timezone=draw(zones), weekly=weekly, holidays=holidays)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
durations = st.integers(min_value=1, max_value=60 * 24 * 30)


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations)
def test_adding_then_measuring_round_trips(schedule, start, minutes):
    due = add_business_minutes(start, minutes, schedule)

    assert business_minutes_between(start, due, schedule) == pytest.approx(minutes, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations)
def test_a_due_time_never_falls_outside_business_hours(schedule, start, minutes):
    due = add_business_minutes(start, minutes, schedule)

    # Just before the due time is working time: the due time is inside an interval or at its end.
    assert schedule.is_working(due - timedelta(microseconds=1))


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations, st.integers(min_value=1, max_value=60 * 24 * 10))
def test_pausing_for_n_business_minutes_moves_the_due_time_by_exactly_n(schedule, start, target, paused):
    due = add_business_minutes(start, target, schedule)
    moved = add_business_minutes(due, paused, schedule)

    assert moved == add_business_minutes(start, target + paused, schedule)
    assert business_minutes_between(due, moved, schedule) == pytest.approx(paused, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(instants, durations)
def test_twenty_four_seven_is_plain_elapsed_time(start, minutes):
    assert add_business_minutes(start, minutes, TWENTY_FOUR_SEVEN) == start + timedelta(minutes=minutes)


# --- Subtracting (the cutoffs of time rules, automation.timerules) ----------------------


def test_subtracting_within_one_day_and_across_a_weekend():
    # Monday 10:00 Berlin, 3 business hours back: 1 h on Monday, 2 h on Friday (15:00-17:00).
    assert subtract_business_minutes(berlin(2026, 11, 30, 10, 0), 180, OFFICE) == berlin(2026, 11, 27, 15, 0)
    assert subtract_business_minutes(berlin(2026, 11, 30, 16, 0), 60, OFFICE) == berlin(2026, 11, 30, 15, 0)


def test_subtracting_from_outside_hours_starts_at_the_last_closing():
    # Sunday evening: the last working minute was Friday 17:00.
    assert subtract_business_minutes(berlin(2026, 11, 29, 20, 0), 30, OFFICE) == berlin(2026, 11, 27, 16, 30)


def test_subtracting_skips_holidays():
    # Thursday 2026-12-24 and Friday 12-25 are holidays: Monday 9:30 minus 1 h is Wednesday 16:30.
    holidays = Schedule(
        timezone="Europe/Berlin", weekly=NINE_TO_FIVE, holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)})
    )
    assert subtract_business_minutes(berlin(2026, 12, 28, 9, 30), 60, holidays) == berlin(2026, 12, 23, 16, 30)


def test_subtracting_across_the_spring_change_counts_elapsed_time():
    # 24/7: Sunday 2026-03-29 12:00 Berlin minus 24 h is Saturday 11:00 (the day held 23 h).
    assert subtract_business_minutes(berlin(2026, 3, 29, 12, 0), 24 * 60) == berlin(2026, 3, 28, 11, 0)
    ny = Schedule(timezone="America/New_York", weekly=NINE_TO_FIVE)
    # Monday after the autumn change, 10:00 New York, minus 2 h: Friday 16:00 New York.
    assert subtract_business_minutes(datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK), 120, ny) == datetime(
        2026, 10, 30, 16, 0, tzinfo=NEW_YORK
    )


def test_subtracting_nothing_and_negative_time():
    moment = berlin(2026, 11, 29, 20, 0)
    assert subtract_business_minutes(moment, 0, OFFICE) == moment
    with pytest.raises(ValueError):
        subtract_business_minutes(moment, -1, OFFICE)


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations)
def test_subtracting_then_measuring_round_trips(schedule, end, minutes):
    start = subtract_business_minutes(end, minutes, schedule)

    assert start < end
    assert business_minutes_between(start, end, schedule) == pytest.approx(minutes, abs=1e-6)
    assert schedule.is_working(start)  # the latest such instant: inside an interval, its start included


@settings(max_examples=150, deadline=None)
@given(schedules(), instants, durations)
def test_adding_back_what_was_subtracted_reaches_the_last_working_moment(schedule, end, minutes):
    back = add_business_minutes(subtract_business_minutes(end, minutes, schedule), minutes, schedule)

    assert back <= end
    assert business_minutes_between(back, end, schedule) == pytest.approx(0, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(instants, durations)
def test_subtracting_on_twenty_four_seven_is_plain_elapsed_time(end, minutes):
    assert subtract_business_minutes(end, minutes) == end - timedelta(minutes=minutes)
