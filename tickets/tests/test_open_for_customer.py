"""Issue 24, point 4: an agent opens a ticket for a customer on the phone or at the desk
(tickets.services.ticket_open_for_customer)."""

from __future__ import annotations

import pytest
from django.core import mail

from agents.models import Team
from agents.roles import actor_for
from automation.tests.factories import make_trigger
from customers.models import Customer
from sla.tests.factories import SLAPolicyFactory
from tickets.assignment import AssignmentError, NotATeamMember
from tickets.models import EventKind, Ticket
from tickets.services import ticket_open_for_customer
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def open_ticket(agent, category, **overrides) -> Ticket:
    arguments = {
        "customer_email": "ann@example.org",
        "customer_name": "Ann Caller",
        "channel": Ticket.Channel.PHONE,
        "subject": "Cannot print invoices",
        "description": "Ann called: the invoice page prints blank pages since Monday.",
        "category": category,
        "priority": "normal",
        "assignee": agent,
        "acknowledge": False,
        "actor": actor_for(agent.user),
        **overrides,
    }
    return ticket_open_for_customer(**arguments)


def test_it_opens_a_phone_ticket_assigned_with_due_times_and_history(agent, category):
    policy = SLAPolicyFactory(priority="normal")

    ticket = open_ticket(agent, category)

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.channel, ticket.get_channel_display()) == ("phone", "Phone")
    assert ticket.assigned_agent == agent
    assert ticket.sla_policy == policy and ticket.first_response_due_at is not None
    assert ticket.customer.email == "ann@example.org" and ticket.customer.name == "Ann Caller"
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert EventKind.CREATED in kinds and EventKind.ASSIGNEE in kinds
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor_name == "Agnes Agent" and created.new_value.startswith("phone,")


def test_it_joins_the_existing_profile_of_the_address(agent, category):
    customer = Customer.objects.create(email="ann@example.org", name="Ann Existing")

    ticket = open_ticket(agent, category, customer_name="", channel=Ticket.Channel.WALK_IN)

    assert ticket.customer_id == customer.pk and ticket.channel == "walk_in"
    assert Customer.objects.count() == 1


def test_it_emails_the_customer_only_when_asked(agent, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        open_ticket(agent, category)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        open_ticket(agent, category, acknowledge=True)
    assert [message.to for message in mail.outbox] == [["ann@example.org"]]


def test_triggers_see_the_ticket_once_with_its_channel(agent, category):
    make_trigger(["ticket.created"], [("channel", "is", "phone")], [("add_tags", "by-phone")], name="Phone")

    ticket = open_ticket(agent, category)

    assert ticket.tag_names() == ["by-phone"]


def test_a_refused_assignment_leaves_no_ticket(agent, other_agent, category):
    other_agent.max_tickets = 1
    other_agent.save()
    TicketFactory(assigned_agent=other_agent, status="open")

    with pytest.raises(AssignmentError, match="already has 1 open tickets of 1"):
        open_ticket(agent, category, assignee=other_agent)

    assert not Ticket.objects.filter(subject="Cannot print invoices").exists()


def test_it_refuses_an_assignee_outside_a_restricted_team(agent, other_agent, category):
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent)

    with pytest.raises(NotATeamMember):
        open_ticket(agent, category, team=vault, assignee=other_agent)

    assert open_ticket(agent, category, team=vault).team == vault


def test_it_opens_only_in_person_channels(agent, category):
    with pytest.raises(ValueError):
        open_ticket(agent, category, channel="portal")


def test_the_api_accepts_the_new_channels(agent_api, category):
    created = agent_api.post(
        "/api/support/tickets",
        {
            "subject": "Walked in",
            "description": "Came to the front desk with a broken badge.",
            "customer_email": "bob@example.org",
            "category": "general",
            "channel": "walk_in",
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["channel"] == "walk_in"


@pytest.mark.parametrize("channel", ["phone", "walk_in"])
def test_automation_and_sla_policies_take_the_new_channels(channel, category):
    from automation.vocabulary import condition_errors

    assert condition_errors("channel", "is", channel) == {}
    assert "value" in condition_errors("channel", "is", "fax")
    policy = SLAPolicyFactory(channel=channel)
    policy.full_clean()
