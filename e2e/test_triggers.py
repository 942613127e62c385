"""Issue 23, point 6: a trigger's effect, seen by the agent whose change set it off. The agent
puts a ticket on pending; the trigger "Waiting on the customer" tags it and emails the
customer, and the ticket page says so in its Automation box and its history."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from automation.tests.factories import make_trigger
from e2e.accounts import sign_in
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_an_agent_sees_what_a_trigger_did_after_their_change(new_page, width, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])
    ticket = TicketFactory(category=general, subject="Printer prints blank pages", status="open",
                           customer_email="jane@example.org", customer_name="Jane Roe")  # fmt: skip
    make_trigger(
        ["ticket.updated"],
        [("status", "changed_to", "pending")],
        [
            ("add_tags", "waiting-on-customer"),
            ("email_customer", "", "We need a little more from you", "Hello {customer_name}, please answer us."),
        ],
        name="Waiting on the customer",
    )

    page = new_page(width=width)
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{ticket.pk}")
    expect(page.locator("#automation-heading")).to_have_count(0)
    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Ticket updated.")).to_be_visible()

    box = page.locator("section", has=page.locator("#automation-heading"))
    expect(box).to_contain_text("Trigger “Waiting on the customer” fired")
    history = page.locator("section", has=page.locator("#history-heading"))
    expect(history).to_contain_text("Trigger “Waiting on the customer”: Tags")
    expect(history).to_contain_text("waiting-on-customer")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    sent = [message for message in mail.outbox if "We need a little more from you" in message.subject]
    assert [message.to for message in sent] == [["jane@example.org"]]
    assert "Hello Jane Roe, please answer us." in sent[0].body
