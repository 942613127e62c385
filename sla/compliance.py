"""SLA compliance for a period, computed in SQL.

For each target (first response, resolution) a ticket with a policy is exactly one of:
- met: done (responded / resolved) by its due time;
- breached: done after its due time, or not done and the due time has passed while the
  clock ran (for a ticket whose clock is stopped, the moment it stopped);
- open: not done, not due yet.
Compliance is met / (met + breached); open tickets do not count either way. Times are the
business minutes the team actually took (pauses excluded), as recorded by sla.services.
Percentiles are nearest-rank, identical on PostgreSQL and SQLite.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TypedDict

from django.db.models import Avg, Count, DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from tickets.models import PRIORITY_RANK, Ticket


class TargetFigures(TypedDict):
    met: int
    breached: int
    open: int
    compliance_percent: float | None
    average_minutes: float | None
    p90_minutes: float | None


class PriorityFigures(TypedDict):
    priority: str
    tickets: int
    first_response: TargetFigures
    resolution: TargetFigures


class ComplianceReport(TypedDict):
    start: datetime
    end: datetime
    tickets: int
    without_policy: int
    first_response: TargetFigures
    resolution: TargetFigures
    by_priority: list[PriorityFigures]


def _conditions(now: datetime) -> dict[str, Q]:
    clock = Coalesce("sla_paused_at", Value(now, output_field=DateTimeField()))
    return {
        "first_response_met": Q(first_responded_at__isnull=False, first_responded_at__lte=F("first_response_due_at")),
        "first_response_breached": Q(first_responded_at__gt=F("first_response_due_at"))
        | Q(first_responded_at__isnull=True, first_response_due_at__lte=clock),
        "resolution_met": Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at")),
        "resolution_breached": Q(resolved_at__gt=F("resolution_due_at"))
        | Q(resolved_at__isnull=True, resolution_due_at__lte=clock),
    }


def _p90(queryset: QuerySet[Ticket], field: str, count: int) -> float | None:
    if count == 0:
        return None
    rank = math.ceil(0.9 * count) - 1
    value = queryset.filter(**{f"{field}__isnull": False}).order_by(field).values_list(field, flat=True)[rank]
    return round(value, 1)


def _target(row: dict, prefix: str, queryset: QuerySet[Ticket], field: str) -> TargetFigures:
    met, breached, total = row[f"{prefix}_met"], row[f"{prefix}_breached"], row["tickets"]
    decided = met + breached
    average = row[f"{prefix}_average"]
    return {
        "met": met,
        "breached": breached,
        "open": total - decided,
        "compliance_percent": round(100 * met / decided, 1) if decided else None,
        "average_minutes": round(average, 1) if average is not None else None,
        "p90_minutes": _p90(queryset, field, row[f"{prefix}_timed"]),
    }


def _aggregates(now: datetime) -> dict:
    conditions = _conditions(now)
    return {
        "tickets": Count("id"),
        **{name: Count("id", filter=condition) for name, condition in conditions.items()},
        "first_response_average": Avg("first_response_minutes"),
        "resolution_average": Avg("resolution_minutes"),
        "first_response_timed": Count("first_response_minutes"),
        "resolution_timed": Count("resolution_minutes"),
    }


def compliance_report(
    *,
    start: datetime,
    end: datetime,
    priority: str | None = None,
    category: str | None = None,
    agent: int | None = None,
    now: datetime | None = None,
) -> ComplianceReport:
    now = now or timezone.now()
    period = _period(start, end, priority, category, agent)
    scoped = period.filter(sla_policy__isnull=False)
    aggregates = _aggregates(now)

    overall = scoped.aggregate(**aggregates)
    rows = {row["priority"]: row for row in scoped.order_by().values("priority").annotate(**aggregates)}
    by_priority: list[PriorityFigures] = []
    for name in sorted(rows, key=lambda p: PRIORITY_RANK.get(p, 99), reverse=True):
        of_priority = scoped.filter(priority=name)
        by_priority.append(
            {
                "priority": name,
                "tickets": rows[name]["tickets"],
                "first_response": _target(rows[name], "first_response", of_priority, "first_response_minutes"),
                "resolution": _target(rows[name], "resolution", of_priority, "resolution_minutes"),
            }
        )
    return {
        "start": start,
        "end": end,
        "tickets": overall["tickets"],
        "without_policy": period.filter(sla_policy__isnull=True).count(),
        "first_response": _target(overall, "first_response", scoped, "first_response_minutes"),
        "resolution": _target(overall, "resolution", scoped, "resolution_minutes"),
        "by_priority": by_priority,
    }


class DailyCompliance(TypedDict):
    day: date
    tickets: int
    met: int
    breached: int
    compliance_percent: float | None


def _period(
    start: datetime, end: datetime, priority: str | None, category: str | None, agent: int | None
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if priority:
        tickets = tickets.filter(priority=priority)
    if category:
        tickets = tickets.filter(category__slug=category)
    if agent:
        tickets = tickets.filter(assigned_agent_id=agent)
    return tickets


def compliance_by_day(
    *,
    start: datetime,
    end: datetime,
    priority: str | None = None,
    category: str | None = None,
    agent: int | None = None,
    now: datetime | None = None,
) -> list[DailyCompliance]:
    """Per creation day, both targets together: met / (met + breached). One query."""
    now = now or timezone.now()
    conditions = _conditions(now)
    rows = (
        _period(start, end, priority, category, agent)
        .filter(sla_policy__isnull=False)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(
            tickets=Count("id"),
            met=Count("id", filter=conditions["first_response_met"]) + Count("id", filter=conditions["resolution_met"]),
            breached=Count("id", filter=conditions["first_response_breached"])
            + Count("id", filter=conditions["resolution_breached"]),
        )
        .order_by("day")
    )
    return [
        {
            "day": row["day"],
            "tickets": row["tickets"],
            "met": row["met"],
            "breached": row["breached"],
            "compliance_percent": round(100 * row["met"] / (row["met"] + row["breached"]), 1)
            if row["met"] + row["breached"]
            else None,
        }
        for row in rows
    ]
