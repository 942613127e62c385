"""Acceptance 6: compliance figures on a crafted data set equal the hand-computed ones."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models.functions import TruncDate
from django.utils import timezone

from sla.compliance import (
    PERCENTILE,
    TIMED_FIELDS,
    _aggregates,
    _conditions,
    _period,
    _rows,
    _target,
    compliance_by_day,
    compliance_report,
    daily,
)
from sla.queries import PercentileDisc
from sla.tests.factories import SLAPolicyFactory
from tickets.models import PRIORITY_RANK, Ticket
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(days=3)
MINUTE = timedelta(minutes=1)


def ticket(policy, created, *, fr_target, res_target, responded=None, resolved=None, paused_at=None, **fields):
    """A ticket with its SLA fields as sla.services would have left them (24/7 calendar)."""
    status = fields.pop("status", "resolved" if resolved else "open")
    return TicketFactory(
        priority=policy.priority,
        sla_policy=policy,
        status=status,
        created_at=created,
        first_responded_at=responded,
        resolved_at=resolved,
        sla_paused_at=paused_at or resolved,
        first_response_due_at=created + fr_target,
        resolution_due_at=created + res_target,
        first_response_minutes=(responded - created) / MINUTE if responded else None,
        resolution_minutes=(resolved - created) / MINUTE if resolved else None,
        **fields,
    )


@pytest.fixture
def crafted(category):
    high = SLAPolicyFactory(priority="high", first_response_hours=1, resolution_hours=8)
    normal = SLAPolicyFactory(priority="normal", first_response_hours=4, resolution_hours=24)
    h = {"fr_target": timedelta(hours=1), "res_target": timedelta(hours=8)}
    n = {"fr_target": timedelta(hours=4), "res_target": timedelta(hours=24)}
    # high: met / breached / still open
    ticket(high, T0, responded=T0 + 30 * MINUTE, resolved=T0 + 300 * MINUTE, **h)
    ticket(high, T0, responded=T0 + 90 * MINUTE, resolved=T0 + 600 * MINUTE, **h)
    ticket(high, NOW - 30 * MINUTE, **h)
    # normal: met; first response overdue while running; paused before its due time; paused after it
    ticket(normal, T0, responded=T0 + 120 * MINUTE, resolved=T0 + 1000 * MINUTE, **n)
    ticket(normal, NOW - timedelta(hours=10), **n)
    ticket(normal, NOW - timedelta(hours=10), status="pending", paused_at=NOW - timedelta(hours=9), **n)
    ticket(normal, NOW - timedelta(hours=10), status="pending", paused_at=NOW - timedelta(hours=5), **n)
    # not counted: no policy; created before the period
    TicketFactory(priority="low", created_at=T0)
    ticket(high, NOW - timedelta(days=40), **h)


def report(api, **params):
    with time_machine.travel(NOW, tick=False):
        response = api.get("/api/support/sla/compliance", {"start": "2026-11-01", "end": "2026-12-01", **params})
    assert response.status_code == 200, response.json()
    return response.json()


def test_figures_equal_the_hand_computed_ones(agent_api, crafted):
    body = report(agent_api)

    assert (body["tickets"], body["without_policy"]) == (7, 1)
    assert body["first_response"] == {
        "met": 2,
        "breached": 3,
        "open": 2,
        "compliance_percent": 40.0,
        "average_minutes": 80.0,
        "p90_minutes": 120.0,
    }
    assert body["resolution"] == {
        "met": 2,
        "breached": 1,
        "open": 4,
        "compliance_percent": 66.7,
        "average_minutes": 633.3,
        "p90_minutes": 1000.0,
    }
    high, normal = body["by_priority"]
    assert (high["priority"], high["tickets"], normal["priority"], normal["tickets"]) == ("high", 3, "normal", 4)
    assert high["first_response"] == {
        "met": 1,
        "breached": 1,
        "open": 1,
        "compliance_percent": 50.0,
        "average_minutes": 60.0,
        "p90_minutes": 90.0,
    }
    assert high["resolution"]["compliance_percent"] == 50.0
    assert (high["resolution"]["average_minutes"], high["resolution"]["p90_minutes"]) == (450.0, 600.0)
    assert normal["first_response"] == {
        "met": 1,
        "breached": 2,
        "open": 1,
        "compliance_percent": 33.3,
        "average_minutes": 120.0,
        "p90_minutes": 120.0,
    }
    assert normal["resolution"] == {
        "met": 1,
        "breached": 0,
        "open": 3,
        "compliance_percent": 100.0,
        "average_minutes": 1000.0,
        "p90_minutes": 1000.0,
    }


def test_filters_narrow_the_scope(agent_api, crafted, agent):
    assert report(agent_api, priority="high")["tickets"] == 3
    assert report(agent_api, category="general")["tickets"] == 7
    CategoryFactory(slug="billing")
    assert report(agent_api, category="billing")["tickets"] == 0
    assert report(agent_api, agent=agent.pk)["tickets"] == 0


def test_an_empty_period_has_no_percentages(agent_api, category):
    body = report(agent_api)

    assert body["tickets"] == 0
    assert body["first_response"]["compliance_percent"] is None
    assert body["by_priority"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-12-01", "end": "2026-11-01"}, "end"),
        ({"priority": "whenever"}, "priority"),
        ({"category": "astrology"}, "category"),
        ({"agent": "bob"}, "agent"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(agent_api, category, params, field):
    response = agent_api.get("/api/support/sla/compliance", params)

    assert response.status_code == 400
    assert field in response.json()


def test_the_report_runs_a_bounded_number_of_queries(agent_api, crafted, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        report(agent_api)


def test_the_report_carries_the_daily_figures_the_dashboard_draws(agent_api, crafted):
    body = report(agent_api)

    by_day = {row["day"]: row for row in body["by_day"]}
    t0 = by_day[T0.date().isoformat()]
    # The three tickets created at T0 (two high, one normal): first response met twice and
    # breached once, resolution met twice and breached once.
    assert (t0["tickets"], t0["met"], t0["breached"], t0["compliance_percent"]) == (3, 4, 2, 66.7)


# --- percentiles in SQL, the same figures as the plain ORM's ----------------------


@pytest.fixture
def varied(category, agent, other_agent):
    """Several hundred tickets over six weeks: every priority, two categories, two agents and
    none, tickets without a policy, responded / resolved / paused / running clocks, minutes
    with ties and fractions, a priority whose tickets were never answered (no percentile), and
    tickets on both edges of the period."""
    rng = random.Random(8)
    billing = CategoryFactory(slug="billing")
    targets = {"low": (8, 72), "normal": (4, 24), "high": (1, 8), "urgent": (1, 4)}
    policies = {
        priority: SLAPolicyFactory(priority=priority, first_response_hours=fr, resolution_hours=res)
        for priority, (fr, res) in targets.items()
    }
    tickets = []
    for n in range(600):
        priority = rng.choice(["low", "normal", "normal", "high", "high", "urgent"])
        created = NOW - timedelta(days=rng.uniform(-0.5, 42))
        created = min(created, NOW - MINUTE)
        fr_target, res_target = (timedelta(hours=h) for h in targets[priority])
        # Minutes in steps of 15 (ties), now and then a fraction.
        step = rng.choice([15, 15, 15, 7.25])
        responded = resolved = paused = None
        if priority != "urgent" and rng.random() < 0.7:
            responded = created + rng.randint(0, int(2 * fr_target / MINUTE / step)) * step * MINUTE
            if rng.random() < 0.6:
                resolved = responded + rng.randint(0, int(1.5 * res_target / MINUTE / step)) * step * MINUTE
        if resolved is None and rng.random() < 0.25:
            paused = created + (NOW - created) * rng.random()
        responded, resolved = (t if t is None or t <= NOW else None for t in (responded, resolved))
        with_policy = rng.random() < 0.85
        tickets.append(
            Ticket(
                subject=f"Ticket {n}",
                description="A ticket of the varied data set.",
                customer_email=f"customer{n}@example.org",
                category=rng.choice([category, billing]),
                assigned_agent=rng.choice([agent, other_agent, None]),
                priority=priority,
                status="resolved" if resolved else ("pending" if paused else "open"),
                created_at=created,
                first_responded_at=responded,
                resolved_at=resolved,
                sla_paused_at=resolved or paused,
                sla_policy=policies[priority] if with_policy else None,
                first_response_due_at=created + fr_target if with_policy else None,
                resolution_due_at=created + res_target if with_policy else None,
                first_response_minutes=(responded - created) / MINUTE if with_policy and responded else None,
                resolution_minutes=(resolved - created) / MINUTE if with_policy and resolved else None,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=1000)  # at most 65,535 parameters a statement


def nearest_rank(queryset, field: str, count: int) -> float | None:
    """The p90 by its definition: the value at rank ceil(0.9 n) of the n timed tickets."""
    if count == 0:
        return None
    rank = math.ceil(PERCENTILE * count) - 1
    return round(queryset.filter(**{f"{field}__isnull": False}).order_by(field).values_list(field, flat=True)[rank], 1)


def plain_orm_report(start, end, period, scoped, now) -> dict:
    """The report by the plain ORM: an aggregate for the period, one grouped by priority, and
    one ORDER BY ... OFFSET query per percentile."""
    aggregates = _aggregates(now)
    rows = {row["priority"]: row for row in scoped.order_by().values("priority").annotate(**aggregates)}

    def targets(row, queryset) -> dict:
        return {
            prefix: _target(row, prefix, nearest_rank(queryset, field, row[f"{prefix}_timed"]))
            for prefix, field in TIMED_FIELDS.items()
        }

    return {
        "start": start,
        "end": end,
        "tickets": (overall := scoped.aggregate(**aggregates))["tickets"],
        "without_policy": period.filter(sla_policy__isnull=True).count(),
        **targets(overall, scoped),
        "by_priority": [
            {"priority": name, "tickets": rows[name]["tickets"], **targets(rows[name], scoped.filter(priority=name))}
            for name in sorted(rows, key=lambda p: PRIORITY_RANK.get(p, 99), reverse=True)
        ],
    }


def plain_orm_by_day(scoped, now) -> list[dict]:
    """The daily figures by the plain ORM: the tickets grouped by day."""
    conditions = _conditions(now)
    rows = (
        scoped.annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(
            tickets=_rows(),
            met=_rows(filter=conditions["first_response_met"]) + _rows(filter=conditions["resolution_met"]),
            breached=_rows(filter=conditions["first_response_breached"])
            + _rows(filter=conditions["resolution_breached"]),
        )
        .order_by("day")
    )
    return [daily(row) for row in rows]


@pytest.mark.parametrize(
    ("scope", "zone"),
    [
        ({}, "UTC"),
        ({}, "America/Sao_Paulo"),  # days in another time zone than the database's
        ({"priority": "high"}, "UTC"),
        ({"priority": "urgent"}, "UTC"),
        ({"category": "billing"}, "UTC"),
        ({"agent": "agent"}, "UTC"),
    ],
    ids=["all", "all-sao-paulo", "high", "urgent", "billing", "agent"],
)
def test_postgresql_fast_path_equals_the_generic_computation(varied, agent, scope, zone, django_assert_num_queries):
    scope = {**scope, "agent": agent.pk} if "agent" in scope else scope
    start, end = NOW - timedelta(days=30), NOW + timedelta(days=1)
    period = _period(start, end, scope.get("priority"), scope.get("category"), scope.get("agent"))
    scoped = period.filter(sla_policy__isnull=False)

    with timezone.override(zone):
        generic = plain_orm_report(start, end, period, scoped, NOW)
        generic_by_day = plain_orm_by_day(scoped, NOW)
        # The fast path: grouped figures, the period's aggregate with every percentile, the
        # count without a policy; no percentile query of its own. The daily figures: one query.
        with django_assert_num_queries(3):
            fast = compliance_report(start=start, end=end, now=NOW, **scope)
        with django_assert_num_queries(1):
            fast_by_day = compliance_by_day(start=start, end=end, now=NOW, **scope)

    assert fast == generic
    assert fast_by_day == generic_by_day
    assert len(generic_by_day) > 20
    assert generic["tickets"] > 0 and generic["without_policy"] > 0
    percentiles = [generic["first_response"]["p90_minutes"]] + [
        row[target]["p90_minutes"] for row in generic["by_priority"] for target in ("first_response", "resolution")
    ]
    if not scope.get("priority"):
        assert None in percentiles and len({p for p in percentiles if p is not None}) > 1


def test_postgresql_percentile_disc_is_nearest_rank_for_every_count(category):
    policy = SLAPolicyFactory(priority="normal")
    values = []
    for n in range(1, 42):
        values.append(round(random.Random(n).uniform(0, 500), 2) if n % 3 else values[-1])  # ties too
        ticket(policy, T0, fr_target=timedelta(hours=4), res_target=timedelta(hours=24))
        Ticket.objects.filter(pk=Ticket.objects.latest("id").pk).update(first_response_minutes=values[-1])
        scoped = Ticket.objects.filter(sla_policy__isnull=False)
        expected = nearest_rank(scoped, "first_response_minutes", n)
        aggregate = PercentileDisc("first_response_minutes", percentile=PERCENTILE)
        assert round(scoped.aggregate(p90=aggregate)["p90"], 1) == expected
