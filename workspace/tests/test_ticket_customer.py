"""The ticket page's customer (issue 22, point 7): the sidebar's box (profile, organisation,
VIP, bouncing), moving the ticket to another customer, the customer's other tickets by
profile, and the queue's VIP badge."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Team
from agents.roles import SYSTEM
from customers.tests.factories import CustomerFactory, OrganizationFactory
from tickets.models import EventKind
from tickets.services import ticket_create
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def vip_customer():
    organization = OrganizationFactory(name="Globex & Co", vip=True)
    return CustomerFactory(email="hank@globex.example", name="Hank <Scorpio>", organization=organization)


def test_the_box_shows_the_profile_its_organisation_vip_and_bouncing(signed_in, vip_customer):
    vip_customer.bouncing = True
    vip_customer.save()
    ticket = TicketFactory(customer=vip_customer, customer_email=vip_customer.email)

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()

    box = page[page.index('class="customer-box"') : page.index('id="change-heading"')]
    assert f'href="/agent/customers/{vip_customer.pk}/"' in box
    assert "Hank &lt;Scorpio&gt;" in box and "<Scorpio>" not in box  # escaped
    assert "hank@globex.example" in box
    assert f'href="/agent/organizations/{vip_customer.organization_id}/"' in box
    assert "Globex &amp; Co" in box and '<span class="vip">VIP</span>' in box
    assert "bouncing-badge" in box
    header = page[page.index("<h1>") : page.index('class="ticket-layout"')]
    assert '<span class="vip">VIP</span>' in header and "Globex &amp; Co" in header


def test_a_plain_customer_has_no_badges(signed_in):
    customer = CustomerFactory(email="pat@example.org")
    ticket = TicketFactory(customer=customer, customer_email=customer.email)

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert "No organisation." in page
    assert '<span class="vip">' not in page and "bouncing-badge" not in page


def test_the_form_moves_the_ticket(signed_in, agent, vip_customer):
    ticket = TicketFactory(customer_email="wrong@example.org")

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/customer", {"customer_email": "HANK@globex.example", "customer_name": ""}
    )

    assert response.status_code == 302 and response["Location"] == f"/agent/tickets/{ticket.pk}"
    ticket.refresh_from_db()
    assert (ticket.customer_id, ticket.customer_email) == (vip_customer.pk, "hank@globex.example")
    event = ticket.events.get(kind=EventKind.CUSTOMER)
    assert (event.actor_name, event.new_value) == (agent.name, "Hank <Scorpio> <hank@globex.example>")
    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert "The ticket now belongs to hank@globex.example." in page


@pytest.mark.parametrize("address", ["", "not an address", "root@localhost"])
def test_a_bad_address_answers_400_naming_the_field(signed_in, address):
    ticket = TicketFactory(customer_email="ann@example.org")

    response = signed_in.post(f"/agent/tickets/{ticket.pk}/customer", {"customer_email": address})

    assert response.status_code == 400
    form = response.context["customer_form"]
    assert "customer_email" in form.errors, form.errors
    assert "The ticket was not moved." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.customer_email == "ann@example.org"


def test_the_form_needs_csrf(client, agent):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent.user)
    ticket = TicketFactory()

    assert strict.post(f"/agent/tickets/{ticket.pk}/customer", {"customer_email": "x@example.org"}).status_code == 403


def test_other_tickets_are_the_profiles_whatever_the_address_and_hide_restricted_ones(signed_in, category):
    def new(subject, address, **extra):
        return ticket_create(
            subject=subject, description="Something is wrong.", customer_email=address, category=category,
            actor=SYSTEM, channel="api", acknowledge=False, auto_assign=False, **extra,
        )  # fmt: skip

    customer = CustomerFactory(email="kim@example.org", aliases=["kim@old.example"])
    ticket = new("This one", "kim@example.org")
    new("From the old address", "kim@old.example")
    new("Payroll secret", "kim@example.org", team=Team.objects.create(name="Payroll", restricted=True))
    new("Someone else", "lee@example.org")
    assert ticket.customer_id == customer.pk

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    others = page[page.index('id="others-heading"') : page.index('id="history-heading"')]

    assert "From the old address" in others
    assert "Payroll secret" not in others and "Someone else" not in others and "This one" not in others


def test_other_tickets_without_a_profile_are_those_of_the_address(signed_in):
    ticket = TicketFactory(customer_email="root@localhost.example", customer=None)
    TicketFactory(subject="Same address", customer_email="ROOT@localhost.example", customer=None)
    TicketFactory(subject="Other address", customer_email="x@example.org", customer=None)

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    others = page[page.index('id="others-heading"') : page.index('id="history-heading"')]

    assert "Same address" in others and "Other address" not in others


def test_the_queue_shows_vip_badges_without_a_query_per_row(signed_in, vip_customer):
    plain = CustomerFactory(email="plain@example.org", organization=OrganizationFactory(vip=False))
    TicketFactory(customer=vip_customer, customer_email=vip_customer.email)

    with CaptureQueriesContext(connection) as one:
        first = signed_in.get("/agent/?view=open").content.decode()
    for index in range(12):
        TicketFactory(customer=vip_customer if index % 2 else plain, customer_email="x@example.org")
        TicketFactory(customer=None)
    with CaptureQueriesContext(connection) as many:
        page = signed_in.get("/agent/?view=open").content.decode()

    assert first.count('<span class="vip">VIP</span>') == 1
    assert page.count('<span class="vip">VIP</span>') == 7
    assert len(one) == len(many)
