"""SLA policies, business-hours calendars, violations and at-risk warnings."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agents.models import validate_timezone
from core.outbound import validate_url
from sla.business_time import MIN_WEEKLY_MINUTES, Schedule
from tickets.models import ACTIVE_STATUSES, Priority, Status

FIRST_RESPONSE_HOURS = (1, 168)
RESOLUTION_HOURS = (1, 720)
AT_RISK_PERCENT = (1, 99)

# Statuses in which the SLA clock runs; in the others it is stopped (see sla.services).
RUNNING_STATUSES = (Status.NEW, Status.OPEN)
assert set(RUNNING_STATUSES) <= set(ACTIVE_STATUSES)  # nosec B101  # an import-time check of the constants


class BusinessCalendar(models.Model):
    """Weekly working hours in one time zone, minus holidays. No hours at all means 24/7."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    holiday_country = models.CharField(
        max_length=10,
        blank=True,
        help_text="ISO country code (DE, US, FR...) for the 'import holidays' admin action",
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True, help_text="State or region, e.g. BY or CA")

    class Meta:
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
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


class BusinessHours(models.Model):
    """One working range of one weekday, in the calendar's local time. An end of 00:00 is midnight."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day")

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "business hours"
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
            raise ValidationError({"end": "The range must end after it starts (use 00:00 for midnight)."})


def validate_calendar_hours(hours: list[tuple[int, int, int]]) -> None:
    """Refuse overlapping ranges on a day and a week with less than MIN_WEEKLY_MINUTES."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in hours:
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, ranges in by_day.items():
        ranges.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(ranges):
            if second_start < first_end:
                raise ValidationError(f"{Weekday(weekday).label}: working ranges overlap.")
    total = sum(end - start for ranges in by_day.values() for start, end in ranges)
    if by_day and total < MIN_WEEKLY_MINUTES:
        raise ValidationError(f"A calendar needs at least {MIN_WEEKLY_MINUTES} working minutes a week.")


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_calendar")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SLAPolicy(models.Model):
    """The promise for tickets of one priority (and optionally one category).

    Choosing among matching active policies: a policy naming the ticket's category wins
    over one for any category; between equals, the oldest policy (lowest id) wins.
    """

    name = models.CharField(max_length=100, unique=True)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    category = models.ForeignKey(
        "tickets.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
        help_text="Empty: tickets of any category",
    )
    first_response_hours = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(FIRST_RESPONSE_HOURS[0]), MaxValueValidator(FIRST_RESPONSE_HOURS[1])],
        help_text="1 to 168 business hours",
    )
    resolution_hours = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(RESOLUTION_HOURS[0]), MaxValueValidator(RESOLUTION_HOURS[1])],
        help_text="1 to 720 business hours",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="Empty: the clock runs 24/7",
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(AT_RISK_PERCENT[0]), MaxValueValidator(AT_RISK_PERCENT[1])],
        help_text="Warn once this share of a target has elapsed",
    )
    slack_webhook_url = models.URLField(
        blank=True,
        validators=[validate_url],  # https to a public address (core.outbound)
        help_text="Slack incoming webhook for this policy's alerts; empty: SLACK_WEBHOOK_URL",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="policy_priority_valid"),
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
                {"first_response_hours": "The first response target cannot be longer than the resolution target."}
            )


class Kind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class SLAEvent(models.Model):
    """What violations and at-risk warnings share: one per ticket and kind, ever."""

    Kind = Kind

    # The scan inserts thousands of these in one statement, with ids it has just read from the
    # tickets in the same transaction: a per-row foreign-key check in the database would cost
    # most of the scan and prove nothing new. Deleting a ticket or policy still cascades or
    # clears through Django (on_delete), and (ticket, kind) is indexed by the unique constraint.
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, db_constraint=False, db_index=False)
    policy = models.ForeignKey(SLAPolicy, null=True, on_delete=models.SET_NULL, db_constraint=False, db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    # The scan that recorded the row: notifications are written for this scan's rows only,
    # so two scans at once never notify twice for one violation.
    scan_id = models.UUIDField(editable=False)

    class Meta:
        abstract = True
        ordering = ["-detected_at", "-id"]

    @property
    def minutes_late(self) -> int:
        return max(0, int((self.detected_at - self.due_at) / timedelta(minutes=1)))


class SLAViolation(SLAEvent):
    class Meta(SLAEvent.Meta):
        verbose_name = "SLA violation"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="violation_once_per_ticket_and_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="violation_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["scan_id"], name="violation_scan_idx"),  # notifications of one scan
            models.Index(fields=["detected_at"], name="violation_detected_idx"),  # list filters
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind} breached"


class SLAWarning(SLAEvent):
    """The ticket passed its policy's at-risk share of a target: warned once per kind."""

    class Meta(SLAEvent.Meta):
        verbose_name = "SLA at-risk warning"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="warning_once_per_ticket_and_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="warning_kind_valid"),
        ]
        indexes = [models.Index(fields=["scan_id"], name="warning_scan_idx")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind} at risk"


class SLAScanRun(models.Model):
    """One run of the scan, for operators and /metrics (the latest duration, how many new)."""

    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    violations = models.PositiveIntegerField()
    warnings = models.PositiveIntegerField()
    notifications = models.PositiveIntegerField()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="scanrun_started_idx")]

    def __str__(self) -> str:
        return f"scan at {self.started_at:%Y-%m-%d %H:%M:%S}: {self.violations} violations"
