"""Which changes make tickets.services pick a ticket's SLA policy again (lifecycle.DUE_TIMES):
those of the fields a policy is picked by, lifecycle.DUE_TIMES_FIELDS."""

from __future__ import annotations

import pytest

from agents.models import Team
from agents.roles import SYSTEM
from customers.models import Customer, Organization
from sla.tests.factories import SLAPolicyFactory
from tickets import lifecycle
from tickets.services import _picks_another_policy, ticket_update
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(category):
    customer = Customer.objects.create(email="ann@acme.example", organization=Organization.objects.create(name="Acme"))
    return TicketFactory(
        category=category, team=Team.objects.create(name="Billing"), customer=customer, channel="email"
    )


def test_the_fields_a_policy_is_picked_by_are_those_policies_name():
    assert set(lifecycle.DUE_TIMES_FIELDS) == {"priority", "category", "team", "customer", "channel"}


@pytest.mark.parametrize(
    ("change", "picks_again"),
    [
        ("another team", True),
        ("no team", True),
        ("the same team", False),
        ("another customer", True),
        ("no customer", True),
        ("the same customer", False),
        ("another channel", True),
        ("the same channel", False),
        ("another category", True),
        ("another priority", True),
        ("the subject", False),
        ("nothing", False),
    ],
)
def test_a_change_of_what_picks_the_policy_picks_it_again(ticket, change, picks_again, django_assert_num_queries):
    changes = {
        "another team": {"team": Team.objects.create(name="Technical")},
        "no team": {"team": None},
        "the same team": {"team": ticket.team},
        "another customer": {"customer": Customer.objects.create(email="bob@example.org")},
        "no customer": {"customer": None},
        "the same customer": {"customer": ticket.customer},
        "another channel": {"channel": "portal"},
        "the same channel": {"channel": "email"},
        "another category": {"category": CategoryFactory(slug="billing", name="Billing")},
        "another priority": {"priority": "high"},
        "the subject": {"subject": "Another subject"},
        "nothing": {},
    }[change]

    fresh = type(ticket).objects.get(pk=ticket.pk)
    with django_assert_num_queries(0):  # relations compared by id: the ticket's own are not read
        assert _picks_another_policy(fresh, changes) is picks_again


def test_a_priority_change_through_the_service_picks_the_policy_again(ticket):
    SLAPolicyFactory(name="normal")
    high = SLAPolicyFactory(name="high", priority="high", team=ticket.team)

    assert ticket_update(ticket=ticket, actor=SYSTEM, priority="high").sla_policy == high
