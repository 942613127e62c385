"""Macros on the ticket page in chromium (issue 23, points 3 and 6): an agent searches a macro,
reads its preview, applies it, and sees the reply and the changes. Screenshots of the preview:
docs/screenshots/macro-preview-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from automation.tests.factories import make_macro
from e2e.accounts import sign_in
from tickets.models import Message, Ticket
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_previews_and_applies_a_macro(new_page, width):
    billing = CategoryFactory(slug="billing", name="Billing")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[billing])
    ticket = TicketFactory(subject="Charged twice for March", category=billing, customer_name="Jane Roe", status="open")
    ticket.tags.create(name="invoice")
    make_macro(
        "Refund approved",
        reply="Hello {customer_name},\n\nyour refund is approved; it reaches your card within 5-10 business days.\n\n"
        "{agent_name}",
        category=billing,
        actions=[
            ("set_status", "pending"),
            ("add_tags", "refund"),
            ("add_note", "", "", "Refund approved by {agent_name}"),
        ],
    )
    make_macro("Password help", reply="Use the reset link on the sign-in page.")

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{ticket.pk}")
    page.get_by_placeholder("Search macros").type("refund", delay=50)
    expect(page.locator("#macro-choice option")).to_have_count(1)
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#macro-preview")
    expect(preview.get_by_role("heading", name="Preview of the macro “Refund approved”")).to_be_visible()
    expect(preview.get_by_label("Reply to the customer")).to_have_value(
        "Hello Jane Roe,\n\nyour refund is approved; it reaches your card within 5-10 business days.\n\nAgnes Agent"
    )
    expect(preview.get_by_text("Status: Open → Pending (waiting on customer)")).to_be_visible()
    expect(preview.get_by_text("Tags: + refund")).to_be_visible()
    expect(preview.get_by_text("Internal note: Refund approved by Agnes Agent")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    preview.screenshot(path=str(SHOTS / f"macro-preview-{width}.png"))
    page.screenshot(path=str(SHOTS / f"macro-preview-page-{width}.png"), full_page=True)

    preview.get_by_label("Reply to the customer").fill("Hello Jane,\n\nyour refund is approved.\n\nAgnes")
    preview.get_by_role("button", name="Apply macro").click()
    page.wait_for_url(f"**/agent/tickets/{ticket.pk}#message-*")

    expect(page.get_by_text("Macro “Refund approved” applied. Reply sent to the customer.")).to_be_visible()
    reply = Message.objects.get(ticket=ticket, internal=False)
    expect(page.locator(f"#message-{reply.pk}")).to_contain_text("your refund is approved.")
    expect(page.locator(".status").first).to_have_text("Pending (waiting on customer)")
    expect(page.get_by_label("Tags")).to_have_value("invoice, refund")
    expect(page.locator(".timeline")).to_contain_text("Agnes Agent: Automation: macro “Refund approved” applied")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, sorted(ticket.tag_names())) == ("pending", ["invoice", "refund"])
    assert reply.body == "Hello Jane,\n\nyour refund is approved.\n\nAgnes"
