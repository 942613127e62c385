"""Merge, linked tickets and split on the ticket page in chromium (issue 24, point 3): an agent
merges a duplicate into the ticket that goes on and finds the closed one pointing at it; an
agent splits a customer's message off into a new ticket, linked to the original.
Screenshots: /tmp/shots-merge/ (MERGE_SHOTS to change)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.models import AuthorType, Message, Status, Ticket, TicketLink
from tickets.tests.factories import CategoryFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(os.environ.get("MERGE_SHOTS") or Path(tempfile.gettempdir()) / "shots-merge")


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def agnes(db):
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])
    return general


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_merges_a_duplicate_and_the_closed_one_links_to_the_other(new_page, agnes, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    duplicate = TicketFactory(
        subject="Printer jams again", category=agnes, customer_email="jane@example.org", status=Status.OPEN
    )
    MessageFactory(ticket=duplicate, author_type=AuthorType.CUSTOMER, body="It jammed on every page this morning.")
    survivor = TicketFactory(
        subject="Printer on floor 2 broken", category=agnes, customer_email="jane@example.org", status=Status.OPEN
    )
    TicketLink.objects.create(low=duplicate, high=survivor)

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{duplicate.pk}")
    links = page.locator(".related-tickets")
    expect(links).to_contain_text(f"#{survivor.pk} Printer on floor 2 broken")
    links.scroll_into_view_if_needed()
    links.screenshot(path=str(SHOTS / f"links-{width}.png"))
    page.locator(".merge-box").screenshot(path=str(SHOTS / f"merge-box-{width}.png"))
    fits(page, width)

    page.get_by_label("Merge into ticket (its number)").fill(f"#{survivor.pk}")
    page.get_by_role("button", name="Merge into…").click()
    expect(page.get_by_role("heading", name="Goes on")).to_be_visible()
    expect(page.locator(".merge-pair")).to_contain_text("Printer jams again")
    expect(page.locator(".merge-pair")).to_contain_text("Printer on floor 2 broken")
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"merge-confirm-{width}.png"), full_page=True)
    page.get_by_role("button", name=f"Merge #{duplicate.pk} into #{survivor.pk}").click()

    page.wait_for_url(f"**/agent/tickets/{survivor.pk}")
    expect(page.get_by_text(f"Ticket #{duplicate.pk} was merged into this ticket and closed")).to_be_visible()
    moved = page.locator(".conversation").get_by_text("It jammed on every page this morning.")
    expect(moved).to_be_visible()
    expect(page.locator(".merged-from").first).to_contain_text(f"From #{duplicate.pk}, merged into this ticket")
    expect(page.locator(".timeline")).to_contain_text(f"#{duplicate.pk} merged into this ticket")
    fits(page, width)
    page.locator(".conversation").screenshot(path=str(SHOTS / f"merged-conversation-{width}.png"))

    page.locator(".merged-from a").first.click()
    page.wait_for_url(f"**/agent/tickets/{duplicate.pk}")
    notice = page.locator(".merged-notice")
    expect(notice).to_contain_text(f"Merged into #{survivor.pk} Printer on floor 2 broken")
    expect(page.locator(".status").first).to_have_text("Closed")
    expect(page.locator(".merge-box")).to_have_count(0)
    notice.screenshot(path=str(SHOTS / f"merged-notice-{width}.png"))
    notice.get_by_role("link").click()
    page.wait_for_url(f"**/agent/tickets/{survivor.pk}")
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_splits_a_customers_message_into_a_new_ticket(new_page, agnes, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = TicketFactory(subject="VPN drops", category=agnes, customer_email="jane@example.org", status=Status.OPEN)
    message = MessageFactory(
        ticket=original, author_type=AuthorType.CUSTOMER, body="Unrelated: my badge no longer opens the door."
    )

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{original.pk}")
    page.locator(f"#message-{message.pk}").screenshot(path=str(SHOTS / f"split-action-{width}.png"))
    page.locator(f"#message-{message.pk}").get_by_role("link", name="Split into a new ticket").click()

    expect(page.get_by_label("Subject of the new ticket")).to_have_value("VPN drops")
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"split-page-{width}.png"), full_page=True)
    page.get_by_label("Subject of the new ticket").fill("Badge does not open the door")
    page.get_by_role("button", name="Split into a new ticket").click()

    new = Ticket.objects.exclude(pk=original.pk).get()
    page.wait_for_url(f"**/agent/tickets/{new.pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Badge does not open the door")
    expect(page.locator(".conversation .message").first).to_contain_text("my badge no longer opens the door")
    expect(page.locator(".related-tickets")).to_contain_text(f"#{original.pk} VPN drops")
    assert not Message.objects.filter(pk=message.pk).exists()
    page.goto(f"/agent/tickets/{original.pk}")
    expect(page.locator(".related-tickets")).to_contain_text(f"#{new.pk} Badge does not open the door")
    expect(page.locator(".conversation")).not_to_contain_text("my badge")
