"""Tickets by phone in chromium (issue 24, point 4): an agent opens the New ticket page from
the workspace's navigation, finds the caller by name (type-ahead), writes down what they
said and lands on the new ticket; another opens one for a new customer. Screenshots:
/tmp/shots-phone/new-ticket-*.png."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from customers.models import Customer
from e2e.accounts import sign_in
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(tempfile.gettempdir()) / "shots-phone"  # looked at, not committed


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_opens_a_ticket_for_a_caller(new_page, width):
    SHOTS.mkdir(exist_ok=True)
    billing = CategoryFactory(slug="billing", name="Billing")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[billing])
    ann = Customer.objects.create(email="ann.caller@example.org", name="Ann Caller")
    Customer.objects.create(email="someone@example.org", name="Someone Else")

    page = new_page(width)
    sign_in(page, "agnes")
    page.get_by_role("link", name="New ticket").click()
    page.wait_for_url("**/agent/tickets/new")
    expect(page.get_by_role("heading", name="New ticket")).to_be_visible()
    page.get_by_label("Find a customer by name or email").press_sequentially("caller", delay=50)
    expect(page.locator("#customer-choices input[type=radio]")).to_have_count(1)
    page.get_by_label("Ann Caller <ann.caller@example.org>").check()
    page.get_by_label("Walk-in").check()
    page.get_by_label("Subject").fill("Refund for a double charge")
    page.get_by_label("What the customer said").fill("Ann came to the desk: she was charged twice in March.")
    page.get_by_label("Category").select_option("billing")
    page.get_by_label("Priority").select_option("high")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"new-ticket-filled-{width}.png"), full_page=True)
    page.get_by_role("button", name="Open the ticket").click()

    ticket = Ticket.objects.get(subject="Refund for a double charge")
    page.wait_for_url(f"**/agent/tickets/{ticket.pk}")
    expect(page.get_by_text(f"Ticket #{ticket.pk} opened for ann.caller@example.org.")).to_be_visible()
    expect(page.get_by_text("via walk-in")).to_be_visible()
    assert (ticket.customer_id, ticket.channel, ticket.priority) == (ann.pk, "walk_in", "high")
    assert ticket.assigned_agent.name == "Agnes Agent"


@pytest.mark.parametrize("width", [1280, 375])
def test_a_new_customer_with_a_mistake_is_shown_the_error_under_the_field(new_page, width):
    SHOTS.mkdir(exist_ok=True)
    CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", name="Agnes Agent")

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto("/agent/tickets/new")
    page.get_by_label("Name", exact=True).fill("Bob Walker")
    page.get_by_label("Email", exact=True).fill("bob@")
    page.get_by_label("Subject").fill("Badge does not open the door")
    page.get_by_label("What the customer said").fill("Bob called: his badge stopped working this morning.")
    page.get_by_role("button", name="Open the ticket").click()

    expect(page.get_by_text("Not opened; see the fields marked below.")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"new-ticket-errors-{width}.png"), full_page=True)
    page.get_by_label("Email", exact=True).fill("bob@example.org")
    page.get_by_role("button", name="Open the ticket").click()

    ticket = Ticket.objects.get(subject="Badge does not open the door")
    page.wait_for_url(f"**/agent/tickets/{ticket.pk}")
    expect(page.get_by_text("via phone")).to_be_visible()
    assert (ticket.customer.email, ticket.customer.name) == ("bob@example.org", "Bob Walker")
