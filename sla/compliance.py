"""SLA compliance for a period, computed in SQL.

For each target (first response, resolution) a ticket with a policy is exactly one of:
- met: done (responded / resolved) by its due time;
- breached: done after its due time, or not done and the due time has passed while the
  clock ran (for a ticket whose clock is stopped, the moment it stopped);
- open: not done, not due yet.
Compliance is met / (met + breached); open tickets do not count either way. Times are the
business minutes the team actually took (pauses excluded), as recorded by sla.services.
Percentiles are nearest-rank (the value at rank ceil(0.9 n) of the n timed tickets).

The percentiles are `percentile_disc(0.9)` (sla.queries.PercentileDisc), which is
nearest-rank, computed as aggregates. The report is then three queries: the per-priority
figures (a hash aggregate), the period's averages with every percentile (overall and per
priority, through FILTER), and the count without a policy; the period's counts are the sums
of the per-priority ones. The daily figures are grouped over a subquery so that PostgreSQL
hashes the days (sla.queries.counts_by_day). The index `ticket_created_sla_idx` (created_at
INCLUDE the SLA columns) lets every one of these queries read the period from the index
alone, not from the ticket rows; rows are counted by created_at, which it holds, rather than
by id, which it does not. sla/tests/test_compliance.py holds both reports against the plain
ORM's figures (an aggregate for the period, one grouped by priority, one ORDER BY ... OFFSET
query per percentile; the daily figures grouped by day) on a varied data set.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from sla.queries import PercentileDisc, counts_by_day
from tickets.models import PRIORITY_RANK, Priority, Ticket

PERCENTILE = 0.9
TIMED_FIELDS = {"first_response": "first_response_minutes", "resolution": "resolution_minutes"}


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


def _rows(filter: Q | None = None) -> Count:
    """Rows counted by created_at, which is never null: COUNT(id) would make PostgreSQL read
    every ticket row, COUNT(created_at) only the period index (ticket_created_sla_idx)."""
    return Count("created_at", filter=filter)


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


def _percentile_aggregates() -> dict[str, Aggregate]:
    """Every p90 of the report as aggregates of one query: overall, and per priority (FILTER)."""
    aggregates: dict[str, Aggregate] = {}
    for prefix, field in TIMED_FIELDS.items():
        aggregates[f"{prefix}_p90"] = PercentileDisc(field, percentile=PERCENTILE)
        for priority in Priority.values:
            aggregates[f"{prefix}_p90_{priority}"] = PercentileDisc(
                field, percentile=PERCENTILE, filter=Q(priority=priority)
            )
    return aggregates


def _target(row: dict, prefix: str, p90: float | None) -> TargetFigures:
    """The figures of one target from its aggregates (`row`) and its percentile."""
    met, breached, total = row[f"{prefix}_met"], row[f"{prefix}_breached"], row["tickets"]
    decided = met + breached
    average = row[f"{prefix}_average"]
    return {
        "met": met,
        "breached": breached,
        "open": total - decided,
        "compliance_percent": round(100 * met / decided, 1) if decided else None,
        "average_minutes": round(average, 1) if average is not None else None,
        "p90_minutes": round(p90, 1) if p90 is not None else None,
    }


def _aggregates(now: datetime) -> dict:
    conditions = _conditions(now)
    return {
        "tickets": _rows(),
        **{name: _rows(filter=condition) for name, condition in conditions.items()},
        "first_response_average": Avg("first_response_minutes"),
        "resolution_average": Avg("resolution_minutes"),
        "first_response_timed": Count("first_response_minutes"),
        "resolution_timed": Count("resolution_minutes"),
    }


Percentiles = dict[str | None, dict[str, float | None]]  # priority (None: overall) -> target -> p90


def _overall(scoped: QuerySet[Ticket], rows: dict[str, dict], aggregates: dict) -> tuple[dict, Percentiles]:
    """The period's figures and every p90 in one aggregate. The counts are the sums
    of the per-priority counts (every ticket has a priority); averages and percentiles are not
    additive, so they are aggregated over the period."""
    averages = {name: aggregate for name, aggregate in aggregates.items() if name.endswith("_average")}
    figures = scoped.aggregate(**averages, **_percentile_aggregates())
    overall = {name: sum(row[name] for row in rows.values()) for name in aggregates if not name.endswith("_average")}
    overall.update({name: figures[name] for name in averages})
    percentiles: Percentiles = {None: {prefix: figures[f"{prefix}_p90"] for prefix in TIMED_FIELDS}}
    for priority in Priority.values:
        percentiles[priority] = {prefix: figures[f"{prefix}_p90_{priority}"] for prefix in TIMED_FIELDS}
    return overall, percentiles


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
    # No percentile among these aggregates, so PostgreSQL hashes the groups instead of sorting.
    rows = {row["priority"]: row for row in scoped.order_by().values("priority").annotate(**aggregates)}
    overall, percentiles = _overall(scoped, rows, aggregates)
    by_priority: list[PriorityFigures] = [
        {
            "priority": name,
            "tickets": rows[name]["tickets"],
            **{prefix: _target(rows[name], prefix, percentiles[name][prefix]) for prefix in TIMED_FIELDS},
        }
        for name in sorted(rows, key=lambda p: PRIORITY_RANK.get(p, 99), reverse=True)
    ]
    return {
        "start": start,
        "end": end,
        "tickets": overall["tickets"],
        "without_policy": period.filter(sla_policy__isnull=True).count(),
        **{prefix: _target(overall, prefix, percentiles[None][prefix]) for prefix in TIMED_FIELDS},
        "by_priority": by_priority,
    }


class DailyCompliance(TypedDict):
    day: date
    tickets: int
    met: int
    breached: int
    compliance_percent: float | None


def _period(
    start: datetime,
    end: datetime,
    priority: str | None,
    category: str | None,
    agent: int | None,
    team: int | None = None,
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if priority:
        tickets = tickets.filter(priority=priority)
    if category:
        tickets = tickets.filter(category__slug=category)
    if agent:
        tickets = tickets.filter(assigned_agent_id=agent)
    if team:
        tickets = tickets.filter(team_id=team)
    return tickets


def compliance_by_day(
    *,
    start: datetime,
    end: datetime,
    priority: str | None = None,
    category: str | None = None,
    agent: int | None = None,
    team: int | None = None,
    now: datetime | None = None,
) -> list[DailyCompliance]:
    """Per creation day, both targets together: met / (met + breached). One query."""
    scoped = _period(start, end, priority, category, agent, team).filter(sla_policy__isnull=False)
    return _by_day(scoped, now or timezone.now())


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _by_day(scoped: QuerySet[Ticket], now: datetime) -> list[DailyCompliance]:
    conditions = _conditions(now)
    flags = (
        scoped.annotate(day=TruncDate("created_at"))
        .order_by()
        .values(
            "day",
            met=_flag(conditions["first_response_met"]) + _flag(conditions["resolution_met"]),
            breached=_flag(conditions["first_response_breached"]) + _flag(conditions["resolution_breached"]),
        )
    )
    return [daily(row) for row in counts_by_day(flags)]


def daily(row: dict) -> DailyCompliance:
    """A day's figures from its counts of tickets, met and breached targets."""
    decided = row["met"] + row["breached"]
    return {
        "day": row["day"],
        "tickets": row["tickets"],
        "met": row["met"],
        "breached": row["breached"],
        "compliance_percent": round(100 * row["met"] / decided, 1) if decided else None,
    }
