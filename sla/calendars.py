"""Business calendars as a resource: their weekly hours written as one set, and deletion
refused while something counts time by the calendar.

A calendar named by an SLA policy or a time rule cannot go (PROTECT: their clocks need it).
One named by a team could (the team would be left without one), but the team's
auto-assignment would then stop waiting for its working hours without anyone having said
so; so that is refused too, with the teams named, and the team is changed first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from agents.models import Team
from core.protection import protected_by
from core.refusals import Refusal
from sla.models import BusinessCalendar, BusinessHours, validate_calendar_hours
from sla.services import policies_changed


class CalendarInUse(Refusal):
    """SLA policies, time rules or teams count time by the calendar."""

    def __init__(self, used_by: list[str]) -> None:
        super().__init__(
            _("This calendar is still used by: %(used_by)s. Give those another calendar first.")
            % {"used_by": ", ".join(used_by)}
        )
        self.used_by = used_by

    def payload(self) -> dict[str, Any]:
        return {"detail": str(self), "used_by": self.used_by}


def minutes(moment: time, *, end: bool = False) -> int:
    """Minutes since midnight; an end of 00:00 is midnight at the day's end (1440)."""
    value = moment.hour * 60 + moment.minute
    if end and value == 0:
        return 1440
    return value


def check_hours(hours: Iterable[dict]) -> None:
    """The model's rules for a week of ranges (ValidationError: overlaps, too few minutes)."""
    validate_calendar_hours([(h["weekday"], minutes(h["start"]), minutes(h["end"], end=True)) for h in hours])


def _set_hours(calendar: BusinessCalendar, hours: list[dict]) -> None:
    calendar.hours.all().delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(calendar=calendar, weekday=h["weekday"], start=h["start"], end=h["end"]) for h in hours
    )
    policies_changed()  # bulk_create sends no post_save: due times must read the new week


@transaction.atomic
def calendar_create(*, hours: list[dict] | None = None, **fields: Any) -> BusinessCalendar:
    """A calendar with its weekly `hours` ({weekday, start, end}; none: around the clock)."""
    calendar = BusinessCalendar.objects.create(**fields)
    if hours:
        _set_hours(calendar, hours)
    return calendar


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, hours: list[dict] | None = None, **changes: Any) -> BusinessCalendar:
    """Change the fields given; `hours`, when given, replace the whole week."""
    for field, value in changes.items():
        setattr(calendar, field, value)
    calendar.save()
    if hours is not None:
        _set_hours(calendar, hours)
    return calendar


@transaction.atomic
def calendar_delete(*, calendar: BusinessCalendar) -> None:
    """Delete `calendar` with its hours and holidays, or refuse (module docstring)."""
    used_by = protected_by(calendar)
    if Team.objects.filter(calendar=calendar).exists():
        used_by.append(str(Team._meta.verbose_name_plural))
    if used_by:
        raise CalendarInUse(used_by)
    try:
        calendar.delete()
    except ProtectedError as error:  # named between the check and the delete
        raise CalendarInUse(sorted({str(row._meta.verbose_name_plural) for row in error.protected_objects})) from error
