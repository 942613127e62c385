"""An agent replaces a customer's private link in chromium (issue 20, point 6): the button on
the ticket page, the confirmation, and the old link answering 404 in the customer's browser.
Screenshots: docs/screenshots/ticket-private-link-1280.png and -375.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.test_journey import sign_in
from tickets.links import private_url
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_replaces_the_private_link_and_the_old_one_stops_opening(new_page, site, width):
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", specializations=[general])
    ticket = TicketFactory(subject="Forwarded my link by mistake", category=general, status="open")
    old_link = private_url(ticket)
    customer = new_page(width)
    customer.goto(old_link)
    expect(customer.get_by_role("heading", name="Forwarded my link by mistake")).to_be_visible()

    agent = new_page(width)
    sign_in(agent, "agnes")
    agent.goto(f"/agent/tickets/{ticket.pk}")
    button = agent.get_by_role("button", name="Replace the private link")
    button.scroll_into_view_if_needed()
    button.click()

    expect(agent.locator(".success", has_text="Private link replaced")).to_be_visible()
    assert agent.evaluate("document.documentElement.scrollWidth") <= width
    agent.screenshot(path=str(SHOTS / f"ticket-private-link-{width}.png"), full_page=True)
    answer = customer.goto(old_link)
    assert answer.status == 404
    expect(customer.get_by_text("This link is not valid")).to_be_visible()
