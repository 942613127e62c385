from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sla.holidays import HolidayImportError, holidays_import
from sla.models import BusinessCalendar


class Command(BaseCommand):
    help = "Import a country's public holidays for a year into a business calendar (from the holidays package)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("calendar", help="name of the business calendar")
        parser.add_argument("country", help="ISO country code, e.g. DE, US, FR")
        parser.add_argument("year", type=int)
        parser.add_argument("--subdivision", default="", help="state or region, e.g. BY or CA")

    def handle(self, *args: Any, calendar: str, country: str, year: int, subdivision: str, **options: Any) -> None:
        target = BusinessCalendar.objects.filter(name=calendar).first()
        if target is None:
            raise CommandError(f"No business calendar named {calendar!r}.")
        try:
            added = holidays_import(calendar=target, country=country, year=year, subdivision=subdivision)
        except HolidayImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{added} holidays added to {target.name} for {country.upper()} {year}.")
