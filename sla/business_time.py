"""Business-time arithmetic: adding and measuring minutes that count only inside working hours.

A schedule is weekly hours in local wall-clock time of one IANA zone, minus holidays. Each
working interval of a day is turned into two instants (UTC) and measured in real elapsed
time, so a day on which the clocks change has its true length: a 24/7 calendar's Sunday
of the spring change in Europe/Berlin holds 23 hours, not 24.

Adding is associative, add(add(t, a), b) == add(t, a + b), which is what lets the SLA clock
treat paused time as business minutes added to the due time.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

MINUTES_PER_DAY = 24 * 60
# Calendars must hold at least this much working time a week (checked when one is saved),
# so that the longest target, 720 h, fits within _HORIZON_DAYS: 720 weeks, under 14 years.
MIN_WEEKLY_MINUTES = 60
_HORIZON_DAYS = 366 * 20


class EmptySchedule(ValueError):
    """The schedule has no working time at all, so no due time can be computed."""


@dataclass(frozen=True)
class Schedule:
    """Weekly hours per weekday (0 = Monday) as (start, end) minutes of the day, end up to 1440."""

    timezone: str = "UTC"
    weekly: Mapping[int, Sequence[tuple[int, int]]] = field(
        default_factory=lambda: {day: ((0, MINUTES_PER_DAY),) for day in range(7)}
    )
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        for day, ranges in self.weekly.items():
            if not 0 <= day <= 6:
                raise ValueError(f"weekday {day} is not 0-6")
            for start, end in ranges:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise ValueError(f"{start}-{end} is not a range of minutes within a day")
        if not any(self.weekly.values()):
            raise EmptySchedule("the schedule has no working hours")

    @property
    def weekly_minutes(self) -> int:
        return sum(end - start for ranges in self.weekly.values() for start, end in ranges)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC instants) in time order, from the local day of `moment` on."""
        zone = self.zone
        day = moment.astimezone(zone).date()
        for _ in range(_HORIZON_DAYS):
            if day not in self.holidays:
                for start, end in sorted(self.weekly.get(day.weekday(), ())):
                    yield _instant(day, start, zone), _instant(day, end, zone)
            day += timedelta(days=1)

    def intervals_until(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC instants) in reverse time order, from the local day of
        `moment` back (the intervals_from of the past)."""
        zone = self.zone
        day = moment.astimezone(zone).date()
        for _ in range(_HORIZON_DAYS):
            if day not in self.holidays:
                for start, end in sorted(self.weekly.get(day.weekday(), ()), reverse=True):
                    yield _instant(day, start, zone), _instant(day, end, zone)
            day -= timedelta(days=1)

    def is_working(self, moment: datetime) -> bool:
        for start, end in self.intervals_from(moment):
            if start > moment:
                return False
            if start <= moment < end:
                return True
        return False


TWENTY_FOUR_SEVEN = Schedule()


def _instant(day: date, minute: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock minute (1440 = midnight ending the day).

    A wall time skipped by a spring-forward change maps to the same instant as the moment
    the change happens (zoneinfo's fold=0 rule), so an interval never runs backwards.
    """
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def add_business_minutes(start: datetime, minutes: float, schedule: Schedule = TWENTY_FOUR_SEVEN) -> datetime:
    """The instant `minutes` of working time after `start`.

    Zero minutes is `start` itself. Otherwise the result always lies inside a working
    interval (its end included): time outside working hours does not count.
    """
    if minutes < 0:
        raise ValueError("cannot add negative business time")
    if minutes == 0:
        return start
    # Arithmetic on aware datetimes of one zone is wall-clock arithmetic in Python; in UTC
    # it is elapsed time, which is what business minutes measure.
    start = start.astimezone(UTC)
    remaining = timedelta(minutes=minutes)
    for interval_start, interval_end in schedule.intervals_from(start):
        begin = max(interval_start, start)
        if begin >= interval_end:
            continue
        available = interval_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise EmptySchedule(f"no working time found within {_HORIZON_DAYS} days")


def subtract_business_minutes(end: datetime, minutes: float, schedule: Schedule = TWENTY_FOUR_SEVEN) -> datetime:
    """The instant `minutes` of working time before `end`: the inverse of add_business_minutes.

    Zero minutes is `end` itself. Otherwise the result lies inside a working interval (its
    start included), and business_minutes_between(result, end) == minutes. Of the instants
    that many working minutes before `end` it is the latest one: when `end` is outside
    working hours, the time since the last interval closed does not count.
    """
    if minutes < 0:
        raise ValueError("cannot subtract negative business time")
    if minutes == 0:
        return end
    end = end.astimezone(UTC)
    remaining = timedelta(minutes=minutes)
    for interval_start, interval_end in schedule.intervals_until(end):
        finish = min(interval_end, end)
        if finish <= interval_start:
            continue
        available = finish - interval_start
        if remaining <= available:
            return finish - remaining
        remaining -= available
    raise EmptySchedule(f"no working time found within {_HORIZON_DAYS} days")


def business_minutes_between(start: datetime, end: datetime, schedule: Schedule = TWENTY_FOUR_SEVEN) -> float:
    """Working minutes in [start, end); 0 when end is not after start."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    for interval_start, interval_end in schedule.intervals_from(start):
        if interval_start >= end:
            break
        overlap = min(interval_end, end) - max(interval_start, start)
        if overlap > timedelta():
            total += overlap
    return total.total_seconds() / 60
