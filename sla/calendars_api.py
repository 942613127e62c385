"""REST API of business calendars: /api/support/calendars and /api/support/holidays.

As in Django admin (the supervisors group's permissions, agents/migrations/0004), everyone
who works tickets reads them and supervisors and admins change them. A calendar carries its
weekly hours inline (few rows, checked together: no overlaps, a minimum per week); holidays
are a resource of their own (years of dates, added and removed one by one), filtered by
calendar and year, and copied in bulk from the `holidays` package by
`POST /calendars/{id}/import-holidays`.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agents.permissions import SettingsReadSupervisorsWrite
from core.api import ConditionalUpdates, IdFilter, IntegerFilter
from sla.calendars import calendar_create, calendar_delete, calendar_update
from sla.calendars_serializers import (
    HOLIDAY_YEARS,
    CalendarInUseSerializer,
    CalendarSerializer,
    HolidayImportResultSerializer,
    HolidayImportSerializer,
    HolidaySerializer,
    supported_countries,
)
from sla.holidays import HolidayImportError, holidays_import
from sla.models import BusinessCalendar, BusinessHours, Holiday


class CalendarFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=100, help_text="Text in the name"
    )

    class Meta:
        model = BusinessCalendar
        fields = ["timezone", "holiday_country"]


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                CalendarInUseSerializer,
                description="SLA policies, time rules or teams count time by the calendar (listed in used_by): "
                "give them another calendar first",
            ),
        }
    )
)
class CalendarViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Business calendars (weekly hours in a time zone, minus holidays): everyone who works
    tickets reads them; supervisors and admins write."""

    permission_classes = [SettingsReadSupervisorsWrite]
    serializer_class = CalendarSerializer
    filterset_class = CalendarFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        return BusinessCalendar.objects.annotate(holiday_count=Count("holidays")).prefetch_related(
            Prefetch("hours", queryset=BusinessHours.objects.order_by("weekday", "start"))
        )

    def perform_create(self, serializer) -> None:
        calendar = calendar_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=calendar.pk)

    def perform_update(self, serializer) -> None:
        calendar = calendar_update(calendar=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=calendar.pk)

    def perform_destroy(self, instance: BusinessCalendar) -> None:
        calendar_delete(calendar=instance)

    @extend_schema(
        request=HolidayImportSerializer,
        responses={
            200: HolidayImportResultSerializer,
            400: OpenApiResponse(description="No country given or known, or a subdivision it does not have"),
        },
        description="Copy one year's public holidays of a country (default: the calendar's) from the maintained "
        "`holidays` package into the calendar. Dates it has already are kept as they are.",
    )
    @action(detail=True, methods=["post"], url_path="import-holidays")
    def import_holidays(self, request, pk=None):
        calendar = self.get_object()
        serializer = HolidayImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        country = data.get("country", calendar.holiday_country).strip()
        if not country:
            raise ValidationError({"country": [_("Give a country, or set the calendar's holiday country.")]})
        if country.upper() not in supported_countries():
            raise ValidationError(
                {"country": [_("The holidays package knows no country %(country)s.") % {"country": repr(country)}]}
            )
        # The calendar's subdivision belongs to its own country, not to one given here.
        subdivision = data.get("subdivision", calendar.holiday_subdivision if "country" not in data else "")
        try:
            added = holidays_import(calendar=calendar, country=country, year=data["year"], subdivision=subdivision)
        except HolidayImportError as error:
            raise ValidationError({"subdivision": [str(error)]}) from error
        return Response({"added": added, "holidays": calendar.holidays.count()})


class HolidayFilter(django_filters.FilterSet):
    calendar = IdFilter(field_name="calendar_id")
    year = IntegerFilter(field_name="date", lookup_expr="year", min_value=HOLIDAY_YEARS[0], max_value=HOLIDAY_YEARS[1])
    after = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after this date")
    before = django_filters.DateFilter(field_name="date", lookup_expr="lt", help_text="Before this date")

    class Meta:
        model = Holiday
        fields = []


class HolidayViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Holidays of business calendars: no working time on these dates. Everyone who works
    tickets reads them; supervisors and admins write."""

    permission_classes = [SettingsReadSupervisorsWrite]
    serializer_class = HolidaySerializer
    queryset = Holiday.objects.all()
    filterset_class = HolidayFilter
    ordering_fields = ["date", "id"]
    ordering = ["date", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
