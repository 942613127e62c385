"""Bulk changes in the queue in chromium (issue 24, point 1): an agent ticks two tickets and
raises their priority, then selects every ticket that matches across pages; the summary says
what changed and what was refused. Screenshots: docs/screenshots/bulk-*.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
EXTRA_SHOTS = os.environ.get("BULK_SHOTS")  # another folder for the same screenshots, to look at


def shoot(target, name: str, **options) -> None:
    target.screenshot(path=str(SHOTS / name), **options)
    if EXTRA_SHOTS:
        target.screenshot(path=str(Path(EXTRA_SHOTS) / name), **options)


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_raises_the_priority_of_two_tickets(new_page, width):
    AgentFactory(user__username="agnes", name="Agnes Agent")
    printer = TicketFactory(subject="Printer on floor 3 jams", status="open")
    vpn = TicketFactory(subject="VPN drops every hour", status="open")
    closed = TicketFactory(subject="Old invoice question", status="closed")
    other = TicketFactory(subject="Password reset link expired", status="open")

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto("/agent/?view=all")
    page.get_by_label(f"Select ticket #{printer.pk}").check()
    page.get_by_label(f"Select ticket #{vpn.pk}").check()
    page.get_by_label(f"Select ticket #{closed.pk}").check()
    expect(page.locator("[data-bulk-selected]")).to_have_text("3")
    bar = page.locator("#bulk-form")
    expect(bar.get_by_label("Priority")).to_be_visible()  # opened by the first tick
    bar.get_by_label("Priority").select_option("high")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(bar, f"bulk-bar-{width}.png")
    shoot(page, f"bulk-queue-{width}.png", full_page=True)

    bar.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/agent/bulk/*")

    summary = page.locator("#bulk-job")
    expect(summary.get_by_role("heading", name="Summary")).to_be_visible()
    expect(summary.locator(".bulk-counts")).to_contain_text("2 changed")
    expect(summary.locator(".bulk-counts")).to_contain_text("1 refused")
    expect(summary.locator(".bulk-refused")).to_contain_text(f"#{closed.pk} Old invoice question")
    expect(summary.locator(".bulk-refused")).to_contain_text("is closed; it can no longer be changed.")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"bulk-summary-{width}.png", full_page=True)
    assert {Ticket.objects.get(pk=t.pk).priority for t in (printer, vpn)} == {"high"}
    assert Ticket.objects.get(pk=other.pk).priority == "normal"

    page.get_by_role("link", name="Back to the queue").click()
    page.goto(f"/agent/tickets/{printer.pk}")
    expect(page.locator(".timeline")).to_contain_text("Agnes Agent")
    expect(page.locator(".timeline")).to_contain_text("Priority")


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_selects_every_ticket_that_matches(new_page, width):
    AgentFactory(user__username="agnes", name="Agnes Agent")
    TicketFactory.create_batch(30, status="open", priority="low")
    TicketFactory.create_batch(3, status="open", priority="normal")

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto("/agent/?view=all&priority=low")
    offer = page.locator("#bulk-all")
    expect(offer).to_be_hidden()  # offered once the whole page is ticked
    page.get_by_label("Select all on this page").check()
    expect(page.locator("[data-bulk-selected]")).to_have_text("25")
    expect(offer).to_be_visible()
    offer.get_by_label("Select all 30 tickets that match").check()
    expect(page.locator("[data-bulk-selected]")).to_have_text("30")
    shoot(page.locator("#bulk-form"), f"bulk-all-{width}.png")
    page.locator("#bulk-form").get_by_label("Priority").select_option("urgent")
    page.locator("#bulk-form").get_by_role("button", name="Apply").click()
    page.wait_for_url("**/agent/bulk/*")

    expect(page.locator(".bulk-counts")).to_contain_text("30 changed")
    assert Ticket.objects.filter(priority="urgent").count() == 30
    assert Ticket.objects.filter(priority="normal").count() == 3
    page.get_by_role("link", name="Back to the queue").click()
    page.wait_for_url("**/agent/?*priority=low*")  # back to the queue as it was filtered


@pytest.mark.parametrize("width", [1280, 375])
def test_a_background_change_shows_its_progress_then_its_summary(new_page, width):
    from tickets.models import BulkJob
    from workspace.bulk_jobs import bulk_job_run

    agnes = AgentFactory(user__username="agnes", name="Agnes Agent")
    tickets = TicketFactory.create_batch(8, status="open")
    job = BulkJob.objects.create(
        user=agnes.user, changes={"priority": "high"}, ticket_ids=[t.pk for t in tickets], total=len(tickets)
    )
    bulk_job_run(job_id=job.pk, limit=3)  # a worker's first batch

    page = new_page(width)
    sign_in(page, "agnes")
    page.goto(f"/agent/bulk/{job.pk}?view=open")
    panel = page.locator("#bulk-job")
    expect(panel).to_contain_text("3 of 8 done")
    expect(panel.locator("progress")).to_have_attribute("value", "3")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shoot(page, f"bulk-progress-{width}.png", full_page=True)

    bulk_job_run(job_id=job.pk)  # the worker finishes; the page polls and shows the summary

    expect(panel.get_by_role("heading", name="Summary")).to_be_visible(timeout=10000)
    expect(panel.locator(".bulk-counts")).to_contain_text("8 changed")
