"""A profile's "bouncing" flag and mail's BouncedAddress rows agree (issue 22, point 7): an
agent clearing the flag (workspace page, API) forgets the bounces of the profile's addresses
through the customers.bounces seam, so the ticket page's warning goes with it; an operator
un-flagging addresses in mail's admin clears their profiles' flag."""

from __future__ import annotations

import pytest

from agents.roles import SYSTEM
from conftest import api_client_for
from customers import bounces
from customers.services import customer_update
from customers.tests.factories import CustomerFactory
from mail.ingest import forget_bounces
from mail.models import BouncedAddress
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bouncing():
    customer = CustomerFactory(email="jane@example.org", aliases=["jane@old.example"], bouncing=True)
    for address in ("jane@example.org", "jane@old.example", "someone@else.example"):
        BouncedAddress.objects.create(email=address, reason="550 5.1.1 user unknown")
    return customer


def remaining() -> set[str]:
    return set(BouncedAddress.objects.values_list("email", flat=True))


def test_mail_registers_its_clearer():
    assert forget_bounces in bounces._clearers


def test_clearing_the_flag_forgets_the_bounces_of_every_address_of_the_profile(bouncing):
    customer_update(customer=bouncing, actor=SYSTEM, bouncing=False)

    assert remaining() == {"someone@else.example"}


def test_other_changes_leave_the_bounces(bouncing):
    customer_update(customer=bouncing, actor=SYSTEM, notes="Call after 5.")
    customer_update(customer=bouncing, actor=SYSTEM, bouncing=True)

    assert len(remaining()) == 3


def test_the_api_clears_both(bouncing, agent):
    response = api_client_for(agent.user).patch(
        f"/api/support/customers/{bouncing.pk}", {"bouncing": False}, format="json"
    )

    assert response.status_code == 200 and response.json()["bouncing"] is False
    assert remaining() == {"someone@else.example"}


def test_the_customer_page_clears_both_and_the_ticket_page_stops_warning(client, agent, bouncing):
    client.force_login(agent.user)
    ticket = TicketFactory(customer=bouncing, customer_email="jane@old.example")
    assert "bounce-warning" in client.get(f"/agent/tickets/{ticket.pk}").content.decode()

    response = client.post(f"/agent/customers/{bouncing.pk}/edit", {"customer-notes": "Works again."})

    assert response.status_code == 302
    bouncing.refresh_from_db()
    assert bouncing.bouncing is False and remaining() == {"someone@else.example"}
    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert "bounce-warning" not in page and "bouncing-badge" not in page


def test_unflagging_in_mails_admin_clears_the_profiles_flag(admin_client, bouncing):
    other = CustomerFactory(email="someone@else.example", bouncing=True)
    row = BouncedAddress.objects.get(email="jane@old.example")

    admin_client.post("/admin/mail/bouncedaddress/", {"action": "unflag", "_selected_action": [row.pk]})

    bouncing.refresh_from_db()
    other.refresh_from_db()
    assert bouncing.bouncing is False  # an alias of the profile was un-flagged
    assert other.bouncing is True
