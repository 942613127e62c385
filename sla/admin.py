"""Running SLA from Django admin: policies, calendars with hours and holidays, violations."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from sla.holidays import HolidayImportError, holidays_import
from sla.models import (
    BusinessCalendar,
    BusinessHours,
    Holiday,
    SLAPolicy,
    SLAScanRun,
    SLAViolation,
    SLAWarning,
    validate_calendar_hours,
)


class BusinessHoursFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        hours = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None or data.get("end") is None:
                continue
            end = data["end"].hour * 60 + data["end"].minute or 1440
            hours.append((int(data["weekday"]), data["start"].hour * 60 + data["start"].minute, end))
        try:
            validate_calendar_hours(hours)
        except ValidationError as error:
            raise ValidationError(error.messages) from error


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    formset = BusinessHoursFormSet
    extra = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "holiday_country", "holiday_subdivision"]
    search_fields = ["name"]
    inlines = [BusinessHoursInline, HolidayInline]
    actions = ["import_holidays"]

    @admin.action(description=gettext_lazy("Import public holidays (this year and next) for the calendar's country"))
    def import_holidays(self, request, queryset) -> None:
        this_year = date.today().year
        for calendar in queryset:
            if not calendar.holiday_country:
                self.message_user(
                    request,
                    _("%(calendar)s: set a holiday country first.") % {"calendar": calendar.name},
                    messages.WARNING,
                )
                continue
            try:
                added = sum(
                    holidays_import(
                        calendar=calendar,
                        country=calendar.holiday_country,
                        year=year,
                        subdivision=calendar.holiday_subdivision,
                    )
                    for year in (this_year, this_year + 1)
                )
            except HolidayImportError as error:
                self.message_user(request, f"{calendar.name}: {error}", messages.ERROR)
            else:
                text = ngettext(
                    "%(calendar)s: %(count)d holidays added.", "%(calendar)s: %(count)d holidays added.", added
                )
                self.message_user(request, text % {"calendar": calendar.name, "count": added}, messages.SUCCESS)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "priority",
        "category",
        "team",
        "organization",
        "channel",
        "first_response_hours",
        "resolution_hours",
        "calendar",
        "at_risk_percent",
        "active",
    ]
    list_filter = ["active", "priority", "category", "team", "channel", "calendar"]
    search_fields = ["name"]
    list_select_related = ["category", "team", "organization", "calendar"]
    raw_id_fields = ["organization"]  # thousands of them: a select would list them all
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "active"]}),
        (
            gettext_lazy("Applies to"),
            {
                "fields": ["priority", "category", "team", "organization", "channel"],
                "description": gettext_lazy(
                    "Empty: any. Of the active policies a ticket matches, the one naming the most of "
                    "category, team, organisation and channel applies; a tie goes to the one naming "
                    "the organisation, then the team, then the category, then the channel; then to "
                    "the oldest."
                ),
            },
        ),
        (
            gettext_lazy("Targets (business hours)"),
            {"fields": ["first_response_hours", "resolution_hours", "at_risk_percent"]},
        ),
        (gettext_lazy("Clock and alerts"), {"fields": ["calendar", "slack_webhook_url"]}),
    ]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SLAViolation)
class SLAViolationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "policy", "due_at", "detected_at", "late"]
    list_filter = ["kind", "policy", "ticket__priority"]
    search_fields = ["=ticket__id", "ticket__subject"]
    date_hierarchy = "detected_at"
    list_select_related = ["ticket", "policy"]

    @admin.display(description=gettext_lazy("Minutes late"))
    def late(self, violation: SLAViolation) -> int:
        return violation.minutes_late


@admin.register(SLAWarning)
class SLAWarningAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "kind", "policy", "due_at", "detected_at"]
    list_filter = ["kind", "policy"]
    search_fields = ["=ticket__id", "ticket__subject"]
    list_select_related = ["ticket", "policy"]


@admin.register(SLAScanRun)
class SLAScanRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "duration_ms", "violations", "warnings", "notifications"]
    date_hierarchy = "started_at"
