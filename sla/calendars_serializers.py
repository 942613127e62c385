"""Serializers of /api/support/calendars and /api/support/holidays (sla.calendars_api)."""

from __future__ import annotations

from datetime import date

import holidays as holidays_package
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sla.calendars import check_hours, minutes
from sla.models import BusinessCalendar, BusinessHours, Holiday

# Holidays count for due times; a date outside these years is a typing mistake (0226 for 2026).
HOLIDAY_YEARS = (1970, 2100)
HOURS_MAX = 7 * 24  # more ranges than this in a week cannot help anyone


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time of the calendar's zone, written HH:MM. Not OpenAPI's `time` format:
    that is RFC 3339's full-time, which carries an offset a weekly hour cannot have."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)


class BusinessHoursSerializer(serializers.ModelSerializer):
    start = LocalTimeField(help_text="Local time the range starts, e.g. 09:00")
    end = LocalTimeField(help_text="Local time it ends; 00:00 means midnight at the day's end")

    class Meta:
        model = BusinessHours
        fields = ["weekday", "start", "end"]
        extra_kwargs = {"weekday": {"help_text": "0 Monday ... 6 Sunday"}}

    def validate(self, attrs: dict) -> dict:
        if minutes(attrs["start"]) >= minutes(attrs["end"], end=True):
            raise serializers.ValidationError(
                {"end": [_("The range must end after it starts (use 00:00 for midnight).")]}
            )
        return attrs


def supported_countries() -> dict[str, list[str]]:
    return holidays_package.list_supported_countries()


class CalendarSerializer(serializers.ModelSerializer):
    hours = BusinessHoursSerializer(
        many=True,
        required=False,
        max_length=HOURS_MAX,
        help_text="The working week, in the calendar's time zone. Given, it replaces the whole week; "
        "empty: around the clock.",
    )
    holidays = serializers.IntegerField(
        source="holiday_count", read_only=True, help_text="How many holidays it has (/api/support/holidays)"
    )

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "timezone", "holiday_country", "holiday_subdivision", "hours", "holidays"]
        read_only_fields = ["id", "holidays"]
        extra_kwargs = {
            "timezone": {"help_text": "An IANA time zone name, e.g. Europe/Berlin"},
            "holiday_country": {"help_text": "ISO country code whose public holidays the import copies, e.g. DE"},
            "holiday_subdivision": {"help_text": "Its state or region, e.g. BY"},
        }

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("Enter a name."))
        return value

    def validate_holiday_country(self, value: str) -> str:
        value = value.strip().upper()
        if value and value not in supported_countries():
            raise serializers.ValidationError(
                _("The holidays package knows no country %(country)s.") % {"country": repr(value)}
            )
        return value

    def validate_hours(self, hours: list[dict]) -> list[dict]:
        try:
            check_hours(hours)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return hours

    def validate(self, attrs: dict) -> dict:
        country = attrs.get("holiday_country", getattr(self.instance, "holiday_country", ""))
        subdivision = attrs.get("holiday_subdivision", getattr(self.instance, "holiday_subdivision", ""))
        if subdivision:
            known = supported_countries().get(country) if country else None
            if known is None:
                raise serializers.ValidationError(
                    {"holiday_subdivision": [_("Set a holiday country for the subdivision.")]}
                )
            if subdivision.upper() not in known:
                raise serializers.ValidationError(
                    {
                        "holiday_subdivision": [
                            _("%(country)s has no subdivision %(subdivision)s; it has: %(known)s.")
                            % {"country": country, "subdivision": repr(subdivision), "known": ", ".join(known)}
                        ]
                    }
                )
            attrs["holiday_subdivision"] = subdivision.upper()
        return attrs


def check_holiday_date(value: date) -> date:
    if not HOLIDAY_YEARS[0] <= value.year <= HOLIDAY_YEARS[1]:
        raise serializers.ValidationError(
            _("Enter a date between %(first)d and %(last)d.") % {"first": HOLIDAY_YEARS[0], "last": HOLIDAY_YEARS[1]}
        )
    return value


class HolidaySerializer(serializers.ModelSerializer):
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), help_text="The calendar it belongs to (cannot be changed)"
    )

    class Meta:
        model = Holiday
        fields = ["id", "calendar", "date", "name"]
        read_only_fields = ["id"]
        validators = []  # the unique (calendar, date) is checked in validate(), as a 400 naming `date`

    def validate_date(self, value: date) -> date:
        return check_holiday_date(value)

    def validate_calendar(self, calendar: BusinessCalendar) -> BusinessCalendar:
        if self.instance is not None and calendar.pk != self.instance.calendar_id:
            raise serializers.ValidationError(
                _("A holiday cannot move to another calendar; delete it and add it there.")
            )
        return calendar

    def validate(self, attrs: dict) -> dict:
        calendar = attrs.get("calendar", getattr(self.instance, "calendar", None))
        day = attrs.get("date", getattr(self.instance, "date", None))
        taken = Holiday.objects.filter(calendar=calendar, date=day)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                {"date": [_("The calendar has a holiday on %(date)s already.") % {"date": day.isoformat()}]}
            )
        return attrs


class HolidayImportSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=HOLIDAY_YEARS[0], max_value=HOLIDAY_YEARS[1])
    country = serializers.CharField(
        max_length=10, required=False, help_text="ISO country code; default: the calendar's holiday_country"
    )
    subdivision = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="State or region; default: the calendar's holiday_subdivision",
    )


class HolidayImportResultSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="Holidays added; dates the calendar had already are kept as they are")
    holidays = serializers.IntegerField(help_text="The calendar's holidays now")


class CalendarInUseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    used_by = serializers.ListField(
        child=serializers.CharField(), help_text="What counts time by the calendar: SLA policies, time rules, teams"
    )
