"""API reports (SLA compliance, feedback summary) are computed at most once per
REPORT_CACHE_SECONDS for the same scope, and say when they were computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla.tests.factories import SLAPolicyFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
REPORTS = ["/api/support/sla/compliance", "/api/support/feedback/summary"]
PERIOD = {"start": "2026-11-01", "end": "2026-12-01"}


@pytest.fixture(autouse=True)
def cached(settings):
    settings.REPORT_CACHE_SECONDS = 60


def ask(api, path: str, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, params)
    assert response.status_code == 200, response.json()
    return response, len(queries)


def breached_ticket(category):
    policy = SLAPolicyFactory(priority="high", first_response_hours=1, resolution_hours=8)
    created = NOW - timedelta(days=2)
    return TicketFactory(
        category=category,
        priority="high",
        sla_policy=policy,
        status="resolved",
        created_at=created,
        first_responded_at=created + timedelta(hours=3),
        resolved_at=created + timedelta(hours=20),
        sla_paused_at=created + timedelta(hours=20),
        first_response_due_at=created + timedelta(hours=1),
        resolution_due_at=created + timedelta(hours=8),
        first_response_minutes=180,
        resolution_minutes=1200,
    )


@pytest.mark.parametrize("path", REPORTS)
def test_the_same_report_within_the_window_is_not_computed_again(agent_api, supervisor_api, path):
    with time_machine.travel(NOW, tick=False):
        first, computed = ask(agent_api, path, **PERIOD)
        again, reread = ask(supervisor_api, path, **PERIOD)  # another reader, the same report

    assert first["X-Cache"] == "miss" and again["X-Cache"] == "hit"
    assert again.json() == first.json()
    assert first.json()["generated_at"] == "2026-11-30T12:00:00Z"
    assert first["Cache-Control"] == "private, max-age=60"
    assert computed > reread
    # Only the caller is looked up (token); none of the report's own statements run.
    assert reread <= 1


def test_figures_are_as_of_generated_at_until_the_window_ends(agent_api, category):
    with time_machine.travel(NOW, tick=False):
        before = ask(agent_api, REPORTS[0], **PERIOD)[0].json()
    breached_ticket(category)

    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        cached = ask(agent_api, REPORTS[0], **PERIOD)[0].json()
    with time_machine.travel(NOW + timedelta(seconds=90), tick=False):
        fresh = ask(agent_api, REPORTS[0], **PERIOD)[0].json()

    assert cached == before
    assert before["first_response"]["breached"] == 0
    assert fresh["first_response"]["breached"] == 1
    assert fresh["generated_at"] == "2026-11-30T12:01:30Z"


def test_another_scope_is_another_report(agent_api, category):
    breached_ticket(category)
    with time_machine.travel(NOW, tick=False):
        month = ask(agent_api, REPORTS[0], **PERIOD)[0]
        other_category = ask(agent_api, REPORTS[0], **PERIOD, category=category.slug)[0]
        earlier = ask(agent_api, REPORTS[0], start="2026-10-01", end="2026-11-01")[0]
        high = ask(agent_api, REPORTS[0], **PERIOD, priority="high")[0]

    assert [r["X-Cache"] for r in (month, other_category, earlier, high)] == ["miss"] * 4
    assert month.json()["tickets"] == 1 and earlier.json()["tickets"] == 0


def test_a_default_period_is_the_period_up_to_when_it_was_computed(agent_api):
    with time_machine.travel(NOW, tick=False):
        first = ask(agent_api, REPORTS[1])[0]
    with time_machine.travel(NOW + timedelta(seconds=20), tick=False):
        again = ask(agent_api, REPORTS[1])[0]

    assert first["X-Cache"] == "miss" and again["X-Cache"] == "hit"
    assert again["Cache-Control"] == "private, max-age=40"
    assert again.json()["end"] == again.json()["generated_at"] == "2026-11-30T12:00:00Z"


def test_with_the_cache_off_every_report_is_computed(agent_api, settings):
    settings.REPORT_CACHE_SECONDS = 0
    with time_machine.travel(NOW, tick=False):
        first = ask(agent_api, REPORTS[0], **PERIOD)[0]
        again = ask(agent_api, REPORTS[0], **PERIOD)[0]

    assert first["X-Cache"] == again["X-Cache"] == "miss"
    assert again["Cache-Control"] == "private, max-age=0"
