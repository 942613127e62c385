"""Due times: the policy chosen, counted in business time, moved by pauses (acceptance 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.tests.factories import BusinessCalendarFactory, SLAPolicyFactory
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 10:00 UTC.
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def create(api, **fields) -> Ticket:
    payload = {"subject": "Help", "description": "Something is broken.", "customer_email": "c@example.org"}
    payload.update({"category": "general", **fields})
    response = api.post("/api/support/tickets", payload, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(pk=response.json()["id"])


def patch(api, ticket: Ticket, **fields) -> None:
    response = api.patch(f"/api/support/tickets/{ticket.pk}", fields, format="json")
    assert response.status_code == 200, response.json()


@time_machine.travel(MONDAY_10, tick=False)
def test_due_times_are_set_on_creation(agent_api, category):
    policy = SLAPolicyFactory(first_response_hours=2, resolution_hours=10, at_risk_percent=50)

    ticket = create(agent_api)

    assert ticket.sla_policy == policy
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=2)
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=10)
    assert ticket.first_response_at_risk_at == MONDAY_10 + timedelta(hours=1)
    assert ticket.resolution_at_risk_at == MONDAY_10 + timedelta(hours=5)
    event = TicketEvent.objects.get(ticket=ticket, kind="due_times")
    assert "first response by 2026-11-30 12:00 UTC" in event.new_value


@time_machine.travel(MONDAY_10, tick=False)
def test_due_times_count_business_hours_of_the_calendar(agent_api, category):
    # Berlin office 09:00-17:00; Monday 10:00 UTC is 11:00 in Berlin: 6 h left that day.
    SLAPolicyFactory(first_response_hours=8, resolution_hours=16, calendar=BusinessCalendarFactory())

    ticket = create(agent_api)

    assert ticket.first_response_due_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tue 11:00 Berlin
    assert ticket.resolution_due_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # Wed 11:00 Berlin


def test_a_ticket_without_a_matching_policy_has_no_due_times(agent_api, category):
    SLAPolicyFactory(priority="urgent")

    ticket = create(agent_api, priority="low")

    assert ticket.sla_policy is None
    assert ticket.first_response_due_at is None and ticket.resolution_due_at is None
    assert TicketEvent.objects.get(ticket=ticket, kind="due_times").new_value == "no SLA policy"


def test_the_most_specific_active_policy_wins_then_the_oldest(agent_api, category):
    billing = CategoryFactory(slug="billing")
    SLAPolicyFactory(name="any category, older", first_response_hours=8)
    SLAPolicyFactory(name="any category, newer", first_response_hours=6)
    SLAPolicyFactory(name="billing, inactive", category=billing, active=False)
    SLAPolicyFactory(name="billing, older", category=billing, first_response_hours=2)
    SLAPolicyFactory(name="billing, newer", category=billing, first_response_hours=1)

    assert create(agent_api, category="billing").sla_policy.name == "billing, older"
    assert create(agent_api, category="general").sla_policy.name == "any category, older"


@time_machine.travel(MONDAY_10, tick=False)
def test_changing_priority_or_category_recomputes_from_creation(agent_api, category):
    SLAPolicyFactory(priority="normal", first_response_hours=8, resolution_hours=24)
    SLAPolicyFactory(priority="urgent", first_response_hours=1, resolution_hours=4)
    ticket = create(agent_api)

    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        patch(agent_api, ticket, priority="urgent")

    ticket.refresh_from_db()
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(hours=1)
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=4)
    patch(agent_api, ticket, priority="low")  # no policy for low
    ticket.refresh_from_db()
    assert ticket.sla_policy is None and ticket.resolution_due_at is None


def test_pending_for_three_business_hours_is_not_breached_at_8_hours_but_is_at_11(agent_api, category):
    """Acceptance 2: an 8-hour resolution target, 3 hours pending: breached at 11 hours, not 8."""
    from sla.models import SLAViolation
    from sla.scan import sla_scan

    SLAPolicyFactory(first_response_hours=1, resolution_hours=8)
    start = MONDAY_10
    with time_machine.travel(start, tick=False):
        ticket = create(agent_api)
        agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "On it"}, format="json")
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        patch(agent_api, ticket, status="pending")
    with time_machine.travel(start + timedelta(hours=4), tick=False):
        patch(agent_api, ticket, status="open")

    sla_scan(now=start + timedelta(hours=8, minutes=1))
    assert not SLAViolation.objects.filter(ticket=ticket, kind="resolution").exists()
    sla_scan(now=start + timedelta(hours=11, minutes=1))
    assert SLAViolation.objects.get(ticket=ticket, kind="resolution").due_at == start + timedelta(hours=11)


def test_a_pause_on_an_office_calendar_moves_the_due_time_by_business_hours(agent_api, category):
    SLAPolicyFactory(first_response_hours=1, resolution_hours=8, calendar=BusinessCalendarFactory())
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 09:00 in Berlin: due Monday 17:00
    with time_machine.travel(start, tick=False):
        ticket = create(agent_api)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        patch(agent_api, ticket, status="pending")
    with time_machine.travel(start + timedelta(hours=4), tick=False):  # 3 business hours later
        patch(agent_api, ticket, status="open")
    ticket.refresh_from_db()

    assert ticket.sla_paused_minutes == 180
    assert ticket.resolution_due_at == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # Tuesday 12:00 in Berlin


def test_paused_time_outside_business_hours_does_not_move_the_due_time(agent_api, category):
    SLAPolicyFactory(first_response_hours=1, resolution_hours=8, calendar=BusinessCalendarFactory())
    friday_16_berlin = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    with time_machine.travel(friday_16_berlin, tick=False):
        ticket = create(agent_api)
        patch(agent_api, ticket, status="on_hold")
    before = Ticket.objects.get(pk=ticket.pk).resolution_due_at
    # Paused from Friday 16:00 to Monday 10:00 Berlin: 1 h Friday + 1 h Monday = 2 business hours.
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):
        patch(agent_api, ticket, status="open")
    ticket.refresh_from_db()

    assert ticket.sla_paused_minutes == 120
    # Due Monday 16:00 Berlin before; two more business hours: Monday 16-17, Tuesday 9-10.
    assert before == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert ticket.resolution_due_at == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def test_several_pauses_add_up_exactly(agent_api, category):
    SLAPolicyFactory(first_response_hours=4, resolution_hours=24)  # 24/7
    start = MONDAY_10
    with time_machine.travel(start, tick=False):
        ticket = create(agent_api)
    timeline = [
        (10, "pending"),
        (25, "open"),
        (40, "on_hold"),
        (100, "pending"),
        (130, "open"),
        (200, "on_hold"),
        (207, "open"),
    ]
    for minute, status in timeline:
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            patch(agent_api, ticket, status=status)
    ticket.refresh_from_db()

    paused = 15 + 90 + 7  # 10-25, 40-130 (on hold then pending), 200-207
    assert ticket.sla_paused_minutes == paused
    assert ticket.resolution_due_at == start + timedelta(hours=24, minutes=paused)
    assert ticket.first_response_due_at == start + timedelta(hours=4, minutes=paused)


def test_time_taken_excludes_pauses(agent_api, category):
    SLAPolicyFactory(first_response_hours=4, resolution_hours=24)
    start = MONDAY_10
    with time_machine.travel(start, tick=False):
        ticket = create(agent_api)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        patch(agent_api, ticket, status="pending")
    with time_machine.travel(start + timedelta(minutes=90), tick=False):
        agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Here you go"}, format="json")
    with time_machine.travel(start + timedelta(minutes=120), tick=False):
        patch(agent_api, ticket, status="resolved")
    ticket.refresh_from_db()

    # Replied during the pause that began at 30: 30 minutes of running clock.
    assert ticket.first_response_minutes == 30
    # Resolved from pending at 120: still 30 minutes of running clock.
    assert ticket.resolution_minutes == 30


def test_reopening_moves_due_times_by_the_time_spent_resolved(agent_api, category):
    SLAPolicyFactory(first_response_hours=4, resolution_hours=24)
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = create(agent_api)
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        patch(agent_api, ticket, status="resolved")
    with time_machine.travel(MONDAY_10 + timedelta(hours=49), tick=False):
        agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "x"}, format="json")
        patch(agent_api, ticket, status="open")
    ticket.refresh_from_db()

    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=24 + 48)
    assert ticket.resolution_minutes is None


@time_machine.travel(MONDAY_10, tick=False)
def test_a_policy_that_applies_again_after_the_first_reply_sets_only_the_resolution(agent_api, category):
    """Answered, moved to a priority no policy covers (times cleared), then back: the first
    response was settled by the reply, so only the resolution is due; no 500 formatting the
    missing first-response time into the history."""
    SLAPolicyFactory(priority="high", first_response_hours=2, resolution_hours=10)
    ticket = create(agent_api, priority="high")
    reply = agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "On it."}, format="json")
    assert reply.status_code == 201

    patch(agent_api, ticket, priority="urgent")
    patch(agent_api, ticket, priority="high")

    ticket.refresh_from_db()
    assert ticket.first_response_due_at is None
    assert ticket.resolution_due_at == MONDAY_10 + timedelta(hours=10)
    last = TicketEvent.objects.filter(ticket=ticket, kind="due_times").latest("id")
    assert last.new_value.endswith(": resolution by 2026-11-30 20:00 UTC")
    history = agent_api.get(f"/api/support/tickets/{ticket.pk}/history").json()
    assert "resolution by" in str(history)
