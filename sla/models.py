"""SLA policies, business-hours calendars, violations and at-risk warnings."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from agents.models import validate_timezone
from core.outbound import validate_url
from sla.business_time import MIN_WEEKLY_MINUTES, Schedule
from tickets.models import ACTIVE_STATUSES, Channel, Priority, Status

FIRST_RESPONSE_HOURS = (1, 168)
RESOLUTION_HOURS = (1, 720)
AT_RISK_PERCENT = (1, 99)

# Statuses in which the SLA clock runs; in the others it is stopped (see sla.services).
RUNNING_STATUSES = (Status.NEW, Status.OPEN)
assert set(RUNNING_STATUSES) <= set(ACTIVE_STATUSES)  # nosec B101  # an import-time check of the constants


class BusinessCalendar(models.Model):
    """Weekly working hours in one time zone, minus holidays. No hours at all means 24/7."""

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    timezone = models.CharField(gettext_lazy("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    holiday_country = models.CharField(
        gettext_lazy("holiday country"),
        max_length=10,
        blank=True,
        help_text=gettext_lazy("ISO country code (DE, US, FR...) for the 'import holidays' admin action"),
    )
    holiday_subdivision = models.CharField(
        gettext_lazy("holiday subdivision"),
        max_length=10,
        blank=True,
        help_text=gettext_lazy("State or region, e.g. BY or CA"),
    )

    class Meta:
        verbose_name = gettext_lazy("business calendar")
        verbose_name_plural = gettext_lazy("business calendars")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="calendar_name_not_empty")]

    def __str__(self) -> str:
        return f"{self.name} ({self.timezone})"

    def schedule(self) -> Schedule:
        """The calendar as business-time arithmetic reads it (hours and holidays prefetched or
        not), built once per instance: an instance's hours and holidays are those it read."""
        built = self.__dict__.get("_schedule")
        if built is None:
            built = self.__dict__["_schedule"] = self._build_schedule()
        return built

    def _build_schedule(self) -> Schedule:
        weekly: dict[int, list[tuple[int, int]]] = {}
        for hours in self.hours.all():
            weekly.setdefault(hours.weekday, []).append((hours.start_minute, hours.end_minute))
        if not weekly:
            weekly = {day: [(0, 1440)] for day in range(7)}
        return Schedule(
            timezone=self.timezone,
            weekly={day: tuple(sorted(ranges)) for day, ranges in weekly.items()},
            holidays=frozenset(holiday.date for holiday in self.holidays.all()),
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, gettext_lazy("Monday")
    TUESDAY = 1, gettext_lazy("Tuesday")
    WEDNESDAY = 2, gettext_lazy("Wednesday")
    THURSDAY = 3, gettext_lazy("Thursday")
    FRIDAY = 4, gettext_lazy("Friday")
    SATURDAY = 5, gettext_lazy("Saturday")
    SUNDAY = 6, gettext_lazy("Sunday")


class BusinessHours(models.Model):
    """One working range of one weekday, in the calendar's local time. An end of 00:00 is midnight."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="hours", verbose_name=gettext_lazy("calendar")
    )
    weekday = models.PositiveSmallIntegerField(gettext_lazy("weekday"), choices=Weekday.choices)
    start = models.TimeField(pgettext_lazy("working hours", "start"))
    end = models.TimeField(
        pgettext_lazy("working hours", "end"), help_text=gettext_lazy("00:00 means midnight at the end of the day")
    )

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = gettext_lazy("business hours")
        verbose_name_plural = gettext_lazy("business hours")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_0_6"),
            models.CheckConstraint(
                condition=Q(start__lt=models.F("end")) | Q(end="00:00:00"), name="hours_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        minute = self.end.hour * 60 + self.end.minute
        return minute or 1440

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.start_minute >= self.end_minute:
            raise ValidationError({"end": _("The range must end after it starts (use 00:00 for midnight).")})


def validate_calendar_hours(hours: list[tuple[int, int, int]]) -> None:
    """Refuse overlapping ranges on a day and a week with less than MIN_WEEKLY_MINUTES."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in hours:
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, ranges in by_day.items():
        ranges.sort()
        for (_first_start, first_end), (second_start, _second_end) in itertools.pairwise(ranges):
            if second_start < first_end:
                raise ValidationError(_("%(weekday)s: working ranges overlap.") % {"weekday": Weekday(weekday).label})
    total = sum(end - start for ranges in by_day.values() for start, end in ranges)
    if by_day and total < MIN_WEEKLY_MINUTES:
        raise ValidationError(
            _("A calendar needs at least %(minutes)d working minutes a week.") % {"minutes": MIN_WEEKLY_MINUTES}
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=gettext_lazy("calendar")
    )
    date = models.DateField(gettext_lazy("date"))
    name = models.CharField(gettext_lazy("name"), max_length=200, blank=True)

    class Meta:
        verbose_name = gettext_lazy("holiday")
        verbose_name_plural = gettext_lazy("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_calendar")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAPolicy(models.Model):
    """The promise for tickets of one priority, optionally only of one category, team,
    customer organisation or channel (empty: any).

    Choosing among matching active policies (sla.services.policy_for): the one naming the
    most of those four wins; a tie goes to the one naming the organisation, then the team,
    then the category, then the channel; between equals, the oldest policy (lowest id).
    """

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    priority = models.CharField(gettext_lazy("priority"), max_length=10, choices=Priority.choices)
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        verbose_name=gettext_lazy("category"),
        help_text=gettext_lazy("Empty: tickets of any category"),
    )
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        verbose_name=gettext_lazy("team"),
        help_text=gettext_lazy("Empty: tickets of any team"),
    )
    organization = models.ForeignKey(
        "customers.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        verbose_name=gettext_lazy("organisation"),
        help_text=gettext_lazy("Empty: customers of any organisation"),
    )
    channel = models.CharField(
        gettext_lazy("channel"),
        max_length=10,
        blank=True,
        choices=Channel.choices,
        help_text=gettext_lazy("Empty: tickets from any channel"),
    )
    first_response_hours = models.PositiveSmallIntegerField(
        gettext_lazy("first response hours"),
        validators=[MinValueValidator(FIRST_RESPONSE_HOURS[0]), MaxValueValidator(FIRST_RESPONSE_HOURS[1])],
        help_text=gettext_lazy("1 to 168 business hours"),
    )
    resolution_hours = models.PositiveSmallIntegerField(
        gettext_lazy("resolution hours"),
        validators=[MinValueValidator(RESOLUTION_HOURS[0]), MaxValueValidator(RESOLUTION_HOURS[1])],
        help_text=gettext_lazy("1 to 720 business hours"),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=gettext_lazy("calendar"),
        help_text=gettext_lazy("Empty: the clock runs 24/7"),
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        gettext_lazy("at-risk percent"),
        default=80,
        validators=[MinValueValidator(AT_RISK_PERCENT[0]), MaxValueValidator(AT_RISK_PERCENT[1])],
        help_text=gettext_lazy("Warn once this share of a target has elapsed"),
    )
    slack_webhook_url = models.URLField(
        gettext_lazy("Slack webhook URL"),
        blank=True,
        validators=[validate_url],  # https to a public address (core.outbound)
        help_text=gettext_lazy("Slack incoming webhook for this policy's alerts; empty: SLACK_WEBHOOK_URL"),
    )
    active = models.BooleanField(gettext_lazy("active"), default=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        ordering = ["priority", "name"]
        verbose_name = gettext_lazy("SLA policy")
        verbose_name_plural = gettext_lazy("SLA policies")
        constraints = [
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="policy_priority_valid"),
            models.CheckConstraint(condition=Q(channel__in=["", *Channel.values]), name="policy_channel_valid"),
            models.CheckConstraint(
                condition=Q(
                    first_response_hours__gte=FIRST_RESPONSE_HOURS[0],
                    first_response_hours__lte=FIRST_RESPONSE_HOURS[1],
                ),
                name="policy_first_response_1_168",
            ),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=RESOLUTION_HOURS[0], resolution_hours__lte=RESOLUTION_HOURS[1]),
                name="policy_resolution_1_720",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=AT_RISK_PERCENT[0], at_risk_percent__lte=AT_RISK_PERCENT[1]),
                name="policy_at_risk_1_99",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="policy_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.first_response_hours and self.resolution_hours and self.first_response_hours > self.resolution_hours:
            raise ValidationError(
                {"first_response_hours": _("The first response target cannot be longer than the resolution target.")}
            )


class Kind(models.TextChoices):
    FIRST_RESPONSE = "first_response", pgettext_lazy("SLA target", "First response")
    RESOLUTION = "resolution", pgettext_lazy("SLA target", "Resolution")


class SLAEvent(models.Model):
    """What violations and at-risk warnings share: one per ticket and kind, ever."""

    Kind = Kind

    # The scan inserts thousands of these in one statement, with ids it has just read from the
    # tickets in the same transaction: a per-row foreign-key check in the database would cost
    # most of the scan and prove nothing new. Deleting a ticket or policy still cascades or
    # clears through Django (on_delete), and (ticket, kind) is indexed by the unique constraint.
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        verbose_name=gettext_lazy("ticket"),
    )
    policy = models.ForeignKey(
        SLAPolicy,
        null=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        verbose_name=gettext_lazy("policy"),
    )
    kind = models.CharField(gettext_lazy("target"), max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(gettext_lazy("due at"))
    detected_at = models.DateTimeField(gettext_lazy("detected at"))
    # The scan that recorded the row: notifications are written for this scan's rows only,
    # so two scans at once never notify twice for one violation.
    scan_id = models.UUIDField(gettext_lazy("scan"), editable=False)

    class Meta:
        abstract = True
        ordering = ["-detected_at", "-id"]

    @property
    def minutes_late(self) -> int:
        return max(0, int((self.detected_at - self.due_at) / timedelta(minutes=1)))


class SLAViolation(SLAEvent):
    class Meta(SLAEvent.Meta):
        verbose_name = gettext_lazy("SLA violation")
        verbose_name_plural = gettext_lazy("SLA violations")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="violation_once_per_ticket_and_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="violation_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["scan_id"], name="violation_scan_idx"),  # notifications of one scan
            models.Index(fields=["detected_at"], name="violation_detected_idx"),  # list filters
        ]

    def __str__(self) -> str:
        return _("#%(ticket)s %(target)s breached") % {"ticket": self.ticket_id, "target": self.kind}


class SLAWarning(SLAEvent):
    """The ticket passed its policy's at-risk share of a target: warned once per kind."""

    class Meta(SLAEvent.Meta):
        verbose_name = gettext_lazy("SLA at-risk warning")
        verbose_name_plural = gettext_lazy("SLA at-risk warnings")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="warning_once_per_ticket_and_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="warning_kind_valid"),
        ]
        indexes = [models.Index(fields=["scan_id"], name="warning_scan_idx")]

    def __str__(self) -> str:
        return _("#%(ticket)s %(target)s at risk") % {"ticket": self.ticket_id, "target": self.kind}


class SLAScanRun(models.Model):
    """One run of the scan, for operators and /metrics (the latest duration, how many new)."""

    started_at = models.DateTimeField(gettext_lazy("started at"))
    duration_ms = models.FloatField(gettext_lazy("duration (ms)"))
    violations = models.PositiveIntegerField(gettext_lazy("violations"))
    warnings = models.PositiveIntegerField(gettext_lazy("warnings"))
    notifications = models.PositiveIntegerField(gettext_lazy("notifications"))

    class Meta:
        verbose_name = gettext_lazy("SLA scan run")
        verbose_name_plural = gettext_lazy("SLA scan runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="scanrun_started_idx")]

    def __str__(self) -> str:
        text = ngettext(
            "scan at %(started)s: %(count)s violations", "scan at %(started)s: %(count)s violations", self.violations
        )
        return text % {
            "started": f"{self.started_at:%Y-%m-%d %H:%M:%S}",
            "count": self.violations,
        }
