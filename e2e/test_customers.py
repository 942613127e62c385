"""Issue 22, point 7: an agent opens a ticket, sees the customer's box (organisation, VIP),
follows the customer's name to their profile, sees their other tickets there and writes a
note on the profile."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory, OrganizationFactory
from e2e.accounts import sign_in
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_an_agent_goes_from_a_ticket_to_the_customer_and_notes_something(new_page, width):
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])
    acme = OrganizationFactory(name="Acme Corporation", domains=["acme.example"], vip=True)
    jane = CustomerFactory(email="jane.roe@acme.example", name="Jane Roe", organization=acme)
    ticket = TicketFactory(category=general, customer=jane, customer_email=jane.email, customer_name="Jane Roe",
                           subject="Printer prints blank pages", status="open")  # fmt: skip
    TicketFactory(category=general, customer=jane, customer_email=jane.email, subject="Invoice 2024-17 is wrong",
                  status="closed")  # fmt: skip
    TicketFactory(category=general, subject="Somebody else's question")

    page = new_page(width=width)
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{ticket.pk}")
    box = page.locator(".customer-box")
    expect(box.get_by_role("heading", name="Customer")).to_be_visible()
    expect(box.get_by_role("link", name="Acme Corporation")).to_have_attribute(
        "href", f"/agent/organizations/{acme.pk}/"
    )
    expect(box.locator(".vip")).to_have_text("VIP")
    expect(box).to_contain_text("jane.roe@acme.example")
    expect(page.locator("h1 + p .vip")).to_be_visible()  # the ticket's header says so too
    box.get_by_text("Move to another customer").click()
    expect(box.get_by_label("Email address")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("link", name="Jane Roe").first.click()
    page.wait_for_url(f"**/agent/customers/{jane.pk}/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Jane Roe")
    expect(page.get_by_role("link", name="Invoice 2024-17 is wrong")).to_be_visible()
    expect(page.get_by_role("link", name="Printer prints blank pages")).to_be_visible()
    expect(page.get_by_text("Somebody else's question")).to_have_count(0)
    expect(page.get_by_role("link", name="Acme Corporation")).to_be_visible()

    page.get_by_label("Notes").fill("Prefers a call after 5 pm.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Customer saved.")).to_be_visible()
    expect(page.locator(".notes")).to_contain_text("Prefers a call after 5 pm.")
    assert Customer.objects.get(pk=jane.pk).notes == "Prefers a call after 5 pm."
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.goto(f"/agent/organizations/{acme.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
