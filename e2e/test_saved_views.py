"""Saved views on the queue in chromium (issue 24, point 2): an agent saves the filtered queue
as a view, sees it listed with its count (loaded by htmx after the page), opens it and
changes its columns. Screenshots: /tmp/shots-views/ (SAVED_VIEWS_SHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.models import SavedView
from tickets.saved_views import saved_view_create
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(os.environ.get("SAVED_VIEWS_SHOTS", "/tmp/shots-views"))  # noqa: S108 - looked at, not kept


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_saves_a_view_sees_its_count_opens_it_and_changes_its_columns(new_page, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    billing = CategoryFactory(slug="billing", name="Billing")
    agnes = AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[billing])
    sue = AgentFactory(user__username="sue", name="Sue Supervisor", role="supervisor", specializations=[billing])
    for n in range(3):
        TicketFactory(subject=f"Server down in region {n}", category=billing, priority="urgent", status="open")
    TicketFactory(subject="Typo on the pricing page", category=billing, priority="low", status="open")
    saved_view_create(
        user=sue.user, name="Whole open queue", shared=True, queue="open", filters={}, columns=["subject"]
    )

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto("/agent/?view=open&priority=urgent")
    page.get_by_text("Save current view as…").click()
    page.get_by_label("Name", exact=True).fill("Urgent ones")
    page.get_by_role("checkbox", name="Category").check()
    page.get_by_role("checkbox", name="Customer").uncheck()
    page.locator(".save-view").screenshot(path=str(SHOTS / f"save-view-form-{width}.png"))
    page.get_by_role("button", name="Save view").click()
    page.wait_for_url("**/agent/?saved=*")

    view = SavedView.objects.get(owner=agnes.user)
    views = page.locator("#saved-views")
    expect(views.get_by_role("link", name="Urgent ones", exact=True)).to_have_attribute("aria-current", "page")
    # The counts arrive with the fragment, after the page.
    expect(views.locator("li", has_text="Urgent ones").locator(".view-count")).to_have_text("3")
    expect(views.locator("li", has_text="Whole open queue").locator(".view-count")).to_have_text("4")
    expect(views).to_contain_text("Counts are exact up to 1,000 tickets")
    table = page.locator("table.queue")
    expect(table).to_contain_text("Server down in region 0")
    expect(table).not_to_contain_text("Typo on the pricing page")
    if width > 400:  # on a phone the table's head is hidden: each cell says its column
        expect(table.locator("thead th")).to_have_text(
            # The first column holds the bulk selection's checkboxes (named for screen readers).
            ["Select", "#", "Subject", "Status", "Priority", "Assignee", "Team", "Age", "SLA", "Category"]
        )
    else:
        expect(table.locator("tbody tr").first.locator("td[data-label=Category]")).to_have_text("Billing")
        expect(table.locator("td[data-label=Customer]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"queue-saved-views-{width}.png"), full_page=True)

    # Another view, then back to the saved one by its link.
    page.goto("/agent/?view=all")
    expect(page.locator("table.queue")).to_contain_text("Typo on the pricing page")
    page.locator("#saved-views").get_by_role("link", name="Urgent ones", exact=True).click()
    expect(page.locator("table.queue")).not_to_contain_text("Typo on the pricing page")

    # Choose other columns on the view's page.
    page.locator("#saved-views").get_by_role("link", name="Edit “Urgent ones”").click()
    page.wait_for_url(f"**/agent/views/{view.pk}/edit")
    page.screenshot(path=str(SHOTS / f"saved-view-edit-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_label("Name").fill("Urgent, updated")
    for column in ("Status", "Priority", "Assignee", "Team", "Age", "SLA", "Category"):
        page.get_by_role("checkbox", name=column, exact=True).uncheck()
    page.get_by_role("checkbox", name="Channel").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/agent/?saved=*")

    expect(page.get_by_text("Saved view “Urgent, updated” changed.")).to_be_visible()
    if width > 400:
        expect(page.locator("table.queue thead th")).to_have_text(["Select", "#", "Subject", "Channel"])
    else:
        expect(page.locator("table.queue td[data-label=Channel]")).to_have_count(3)
        expect(page.locator("table.queue td[data-label=Status]")).to_have_count(0)
    # A shared view is not theirs to change: no edit link for it.
    expect(page.locator("#saved-views").get_by_role("link", name="Edit “Whole open queue”")).to_have_count(0)
