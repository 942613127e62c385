"""Public holidays from the maintained `holidays` package, copied into a calendar."""

from __future__ import annotations

import holidays as holidays_package
from django.utils.translation import gettext as _

from sla.models import BusinessCalendar, Holiday
from sla.services import policies_changed


class HolidayImportError(ValueError):
    pass


def holidays_import(*, calendar: BusinessCalendar, country: str, year: int, subdivision: str = "") -> int:
    """Add the country's holidays of `year`; dates already in the calendar are kept. Returns how many were added."""
    try:
        found = holidays_package.country_holidays(country.upper(), subdiv=subdivision or None, years=year)
    except NotImplementedError as error:
        raise HolidayImportError(
            _("The holidays package knows no country %(country)s.") % {"country": repr(country)}
        ) from error
    except Exception as error:  # an unknown subdivision, mostly
        raise HolidayImportError(
            _("Cannot import holidays for %(country)s %(subdivision)s: %(error)s")
            % {"country": country, "subdivision": subdivision, "error": error}
        ) from error
    rows = [Holiday(calendar=calendar, date=day, name=str(name)[:200]) for day, name in sorted(found.items())]
    before = calendar.holidays.count()
    Holiday.objects.bulk_create(rows, ignore_conflicts=True)
    policies_changed()  # bulk_create sends no post_save
    return calendar.holidays.count() - before
