"""Triggers on what other apps record: SLA violations and warnings (after the scan commits,
one ticket per transaction) and feedback; and the ticket page's list of what acted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from agents.roles import customer_actor
from automation.tests.factories import make_trigger
from feedback.services import feedback_create
from sla.scan import sla_scan
from sla.tests.factories import SLAPolicyFactory
from sla.tests.test_scan import overdue_tickets
from tickets import services
from tickets.models import EventKind, Ticket, TicketEvent

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_an_sla_violation_fires_its_triggers_once_per_ticket(category):
    make_trigger(
        ["sla.violation"], [("priority", "is", "normal")], [("set_priority", "urgent"), ("add_tags", "breached")]
    )
    make_trigger(["sla.warning"], [], [("add_tags", "at-risk")])
    late = overdue_tickets(3, category=category, policy=SLAPolicyFactory())
    calm = overdue_tickets(
        1,
        category=category,
        policy=SLAPolicyFactory(),
        first_response_due_at=NOW + timedelta(hours=3),
        resolution_due_at=NOW + timedelta(hours=5),
        first_response_at_risk_at=NOW + timedelta(hours=2),
        resolution_at_risk_at=NOW + timedelta(hours=4),
    )

    sla_scan(now=NOW)
    sla_scan(now=NOW + timedelta(minutes=1))  # records nothing new: fires nothing

    for ticket in late:
        ticket = Ticket.objects.get(pk=ticket.pk)
        assert (ticket.priority, ticket.tag_names()) == ("urgent", ["breached"])
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION).count() == 1
    assert Ticket.objects.get(pk=calm[0].pk).tag_names() == []


@pytest.mark.django_db
def test_feedback_fires_its_triggers(category):
    make_trigger(
        ["feedback.received"], [], [("add_note", "", "", "The customer said how we did.")], name="Feedback note"
    )
    ticket = services.ticket_create(
        subject="Printer",
        description="The office printer stopped answering.",
        customer_email="ann@example.org",
        category=category,
        actor=customer_actor("Ann", "ann@example.org"),
        channel="portal",
    )

    feedback_create(ticket=ticket, overall=2, comment="Slow")

    assert ticket.messages.get(internal=True).body == "The customer said how we did."


@pytest.mark.django_db
def test_the_ticket_page_lists_the_triggers_that_acted(client, agent, category):
    make_trigger(["ticket.created"], [], [("set_priority", "high")], name="Everything is high")
    ticket = services.ticket_create(
        subject="Printer",
        description="The office printer stopped answering.",
        customer_email="ann@example.org",
        category=category,
        actor=customer_actor("Ann", "ann@example.org"),
        channel="portal",
    )
    client.force_login(agent.user)

    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert 'id="automation-heading"' in page
    assert "Trigger “Everything is high” fired" in page
    # The history says who changed the priority: the trigger.
    assert "Trigger “Everything is high”: Priority" in page


@pytest.mark.django_db(transaction=True)
def test_a_target_met_late_fires_the_violation_triggers_too(category, agent):
    """A first reply after its due time, before any scan saw it overdue, is recorded as a
    violation when it is made (sla_record_if_late): its triggers fire as for a scan's."""
    from agents.roles import actor_for

    make_trigger(["sla.violation"], [], [("add_tags", "late")], name="Late")
    (ticket,) = overdue_tickets(1, category=category, policy=SLAPolicyFactory(), status="new")
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=timezone.now() - timedelta(minutes=5),
        resolution_due_at=timezone.now() + timedelta(hours=5),
    )

    services.message_create(ticket=ticket, body="Sorry for the wait.", actor=actor_for(agent.user))

    assert Ticket.objects.get(pk=ticket.pk).tag_names() == ["late"]
