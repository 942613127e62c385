"""Moving a ticket to another customer (issue 22, point 7): tickets.services.ticket_change_customer
and the API's PATCH with `customer_email`."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from agents.roles import SYSTEM, actor_for
from customers.models import Customer
from customers.tests.factories import CustomerFactory, OrganizationFactory
from sla.tests.factories import SLAPolicyFactory
from tickets.ccs import ticket_ccs
from tickets.links import private_token
from tickets.models import EventKind, TicketCC
from tickets.services import TicketClosed, ticket_change_customer, ticket_create
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(category):
    return ticket_create(
        subject="Invoice",
        description="The invoice is wrong.",
        customer_email="ann@example.org",
        customer_name="Ann",
        category=category,
        actor=SYSTEM,
        channel="api",
        acknowledge=False,
        auto_assign=False,
    )


def customer_events(ticket):
    return list(ticket.events.filter(kind=EventKind.CUSTOMER).values_list("old_value", "new_value", "actor_name"))


def test_the_ticket_moves_to_the_profile_of_the_address_with_a_history_event(ticket, agent):
    bob = CustomerFactory(email="bob@example.org", name="Bob Stone")

    moved = ticket_change_customer(ticket=ticket, email=" Bob@Example.org ", actor=actor_for(agent.user))

    moved.refresh_from_db()
    assert moved.customer_id == bob.pk
    assert (moved.customer_email, moved.customer_name) == ("bob@example.org", "Bob Stone")  # the profile's name
    assert customer_events(moved) == [("Ann <ann@example.org>", "Bob Stone <bob@example.org>", agent.name)]


def test_a_first_address_gets_a_profile_with_the_name_given(ticket, agent):
    moved = ticket_change_customer(ticket=ticket, email="new@example.net", name="Nora New", actor=actor_for(agent.user))

    profile = Customer.objects.get(email="new@example.net")
    assert (moved.customer_id, profile.name) == (profile.pk, "Nora New")
    assert moved.customer_name == "Nora New"


def test_an_alias_finds_its_profile_and_the_ticket_is_written_to_it(ticket, agent):
    bob = CustomerFactory(email="bob@example.org", aliases=["robert@old.example"])

    moved = ticket_change_customer(ticket=ticket, email="robert@old.example", actor=actor_for(agent.user))

    assert (moved.customer_id, moved.customer_email) == (bob.pk, "robert@old.example")


def test_a_new_address_replaces_the_private_link_and_stops_copying_it(ticket, agent):
    TicketCC.objects.create(ticket=ticket, email="bob@example.org")
    old_link = private_token(ticket)

    moved = ticket_change_customer(ticket=ticket, email="bob@example.org", actor=actor_for(agent.user))

    assert private_token(moved) != old_link
    assert ticket_ccs(moved) == []  # the customer is never their own CC
    assert ticket.events.filter(kind=EventKind.CC, new_value="removed bob@example.org").exists()


def test_nothing_changes_for_the_same_customer(ticket, agent):
    key = ticket.access_key

    ticket_change_customer(ticket=ticket, email="ANN@example.org", name="Ann", actor=actor_for(agent.user))

    ticket.refresh_from_db()
    assert customer_events(ticket) == [] and ticket.access_key == key


def test_another_name_for_the_same_address_is_recorded_and_keeps_the_link(ticket, agent):
    key = ticket.access_key

    ticket_change_customer(ticket=ticket, email="ann@example.org", name="Ann Smith", actor=actor_for(agent.user))

    ticket.refresh_from_db()
    assert ticket.customer_name == "Ann Smith" and ticket.access_key == key
    assert customer_events(ticket) == [("Ann <ann@example.org>", "Ann Smith <ann@example.org>", agent.name)]


def test_the_sla_policy_is_picked_again_by_the_new_customers_organisation(ticket, agent):
    SLAPolicyFactory(name="everyone")
    vip = OrganizationFactory(name="Big Client", vip=True)
    SLAPolicyFactory(name="big client", organization=vip)
    CustomerFactory(email="ceo@bigclient.example", organization=vip)
    ticket_change_customer(ticket=ticket, email="ann@example.org", name="Ann B", actor=SYSTEM)  # same profile
    ticket.refresh_from_db()
    assert ticket.events.filter(kind=EventKind.DUE_TIMES).count() == 1  # only on creation: no policy then

    moved = ticket_change_customer(ticket=ticket, email="ceo@bigclient.example", actor=actor_for(agent.user))

    moved.refresh_from_db()
    assert moved.sla_policy.name == "big client"
    assert moved.events.filter(kind=EventKind.DUE_TIMES).last().new_value.startswith("big client:")


def test_an_address_no_profile_can_be_keyed_by_is_refused_naming_the_field(ticket, agent):
    with pytest.raises(ValidationError) as refused:
        ticket_change_customer(ticket=ticket, email="root@localhost", actor=actor_for(agent.user))

    assert "customer_email" in refused.value.message_dict
    ticket.refresh_from_db()
    assert ticket.customer_email == "ann@example.org"


def test_a_closed_ticket_keeps_its_customer(agent):
    closed = TicketFactory(status="closed")

    with pytest.raises(TicketClosed):
        ticket_change_customer(ticket=closed, email="bob@example.org", actor=actor_for(agent.user))


# --- The API ------------------------------------------------------------------------------


def test_the_api_moves_a_ticket_with_customer_email_and_name(ticket, agent_api):
    org = OrganizationFactory(name="Acme", domains=["acme.example"])

    response = agent_api.patch(
        f"/api/support/tickets/{ticket.pk}",
        {"customer_email": "dora@acme.example", "customer_name": "Dora"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["customer_email"], body["customer_name"], body["organization"]) == (
        "dora@acme.example",
        "Dora",
        org.pk,
    )
    history = agent_api.get(f"/api/support/tickets/{ticket.pk}/history").json()
    rows = history["results"] if isinstance(history, dict) else history
    assert any(row["kind"] == "customer" and row["new_value"] == "Dora <dora@acme.example>" for row in rows)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_email": "not an address"}, "customer_email"),
        ({"customer_email": "root@localhost"}, "customer_email"),
        ({"customer_email": ""}, "customer_email"),
        ({"customer_email": "a@example.org", "customer_name": "x" * 256}, "customer_name"),
        ({"customer_name": "Only a name"}, "customer_name"),
    ],
)
def test_the_api_refuses_bad_customer_fields_naming_them(ticket, agent_api, body, field):
    response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", body, format="json")

    assert response.status_code == 400 and field in response.json(), response.json()
    ticket.refresh_from_db()
    assert ticket.customer_email == "ann@example.org"
