"""Each process keeps the policies it read until a policy, calendar, hours or holiday changes
(sla.services.policy_for)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sla.holidays import holidays_import
from sla.models import BusinessHours, Holiday
from sla.services import POLICIES_VERSION_KEY, policy_for
from sla.tests.factories import BusinessCalendarFactory, SLAPolicyFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 10:00 UTC (11:00 in Berlin).
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def create(api) -> Ticket:
    payload = {
        "subject": "Help",
        "description": "Something is broken.",
        "customer_email": "c@example.org",
        "category": "general",
    }
    response = api.post("/api/support/tickets", payload, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(pk=response.json()["id"])


def scopes(category, **overrides) -> dict:
    """policy_for's arguments other than the priority: a ticket of the category, from the API."""
    return {"category_id": category.pk, "team_id": None, "organization_id": None, "channel": "api", **overrides}


def policy_queries(**kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        policy_for(**kwargs)
    return len(queries)


def test_a_policy_read_once_is_not_read_again(category):
    SLAPolicyFactory(calendar=BusinessCalendarFactory())

    assert policy_queries(priority="normal", **scopes(category)) == 3  # policy, hours, holidays
    assert policy_queries(priority="normal", **scopes(category)) == 0
    assert policy_queries(priority="high", **scopes(category)) == 1  # another key: read (none)
    assert policy_queries(priority="high", **scopes(category)) == 0


@time_machine.travel(MONDAY_10, tick=False)
def test_a_changed_policy_applies_to_the_next_ticket(agent_api, category):
    policy = SLAPolicyFactory(first_response_hours=2)
    assert create(agent_api).first_response_due_at == MONDAY_10 + timedelta(hours=2)

    policy.first_response_hours = 5
    policy.save()
    assert create(agent_api).first_response_due_at == MONDAY_10 + timedelta(hours=5)

    policy.active = False
    policy.save()
    assert create(agent_api).sla_policy is None

    SLAPolicyFactory(first_response_hours=7, category=category)
    assert create(agent_api).first_response_due_at == MONDAY_10 + timedelta(hours=7)


@time_machine.travel(MONDAY_10, tick=False)
def test_changed_hours_and_holidays_apply_to_the_next_ticket(agent_api, category):
    calendar = BusinessCalendarFactory()  # Berlin, Monday-Friday 09:00-17:00
    SLAPolicyFactory(first_response_hours=8, calendar=calendar)
    assert create(agent_api).first_response_due_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    # Tuesday becomes a holiday: due Wednesday 11:00 Berlin instead.
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 1), name="Closed")
    assert create(agent_api).first_response_due_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

    Holiday.objects.filter(calendar=calendar).delete()
    BusinessHours.objects.filter(calendar=calendar, weekday=0).delete()
    BusinessHours.objects.create(calendar=calendar, weekday=0, start=time(9), end=time(20))
    # Monday 11:00-20:00 Berlin is 9 h: 8 h in, due Monday 19:00 Berlin.
    assert create(agent_api).first_response_due_at == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


def test_imported_holidays_retire_the_policies_read(category):
    calendar = BusinessCalendarFactory()
    SLAPolicyFactory(calendar=calendar)
    before = policy_for(priority="normal", **scopes(category)).calendar.schedule()
    assert date(2026, 12, 25) not in before.holidays

    holidays_import(calendar=calendar, country="DE", year=2026)

    assert date(2026, 12, 25) in policy_for(priority="normal", **scopes(category)).calendar.schedule().holidays


def test_a_change_made_by_another_process_is_seen(category):
    policy = SLAPolicyFactory(first_response_hours=2)
    assert policy_for(priority="normal", **scopes(category)).first_response_hours == 2
    # Another process changed the policy: this process saw no signal, only the new version.
    type(policy).objects.filter(pk=policy.pk).update(first_response_hours=9)
    assert policy_for(priority="normal", **scopes(category)).first_response_hours == 2
    cache.set(POLICIES_VERSION_KEY, "set-by-another-process")
    assert policy_for(priority="normal", **scopes(category)).first_response_hours == 9


def test_without_a_version_in_the_cache_policies_are_still_found(category, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    SLAPolicyFactory(first_response_hours=3)
    assert policy_for(priority="normal", **scopes(category)).first_response_hours == 3
    assert policy_queries(priority="normal", **scopes(category)) == 1  # read every time


def test_changing_the_policy_one_caller_got_does_not_change_the_next_callers(category):
    calendar = BusinessCalendarFactory()
    SLAPolicyFactory(first_response_hours=2, calendar=calendar)
    mine = policy_for(priority="normal", **scopes(category))
    schedule = mine.calendar.schedule()

    mine.first_response_hours = 99
    mine.name = "Changed by one caller"
    mine.calendar.timezone = "Asia/Tokyo"
    mine.calendar = None

    with CaptureQueriesContext(connection) as queries:
        theirs = policy_for(priority="normal", **scopes(category))
    assert len(queries) == 0  # still the process's own copy, not read again
    assert theirs is not mine
    assert theirs.first_response_hours == 2 and theirs.name != "Changed by one caller"
    assert theirs.calendar.pk == calendar.pk and theirs.calendar.timezone == "Europe/Berlin"
    assert theirs.calendar.schedule() is schedule  # immutable, so shared
