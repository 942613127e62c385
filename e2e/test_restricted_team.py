"""Issue 22: a restricted team's ticket, in a real browser, for a member and for an outsider."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.models import Team
from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_works_the_restricted_ticket_and_an_outsider_cannot_find_it(new_page):
    general = CategoryFactory(slug="general", name="General")
    member = AgentFactory(user__username="hana", name="Hana HR", specializations=[general])
    AgentFactory(user__username="otto", name="Otto Outsider", specializations=[general])
    hr = Team.objects.create(name="HR", restricted=True)
    hr.members.add(member)
    secret = TicketFactory(category=general, team=hr, status="open", subject="Salary review for Jane")
    TicketFactory(category=general, status="open", subject="Printer out of toner")

    # The member sees it in the queue and opens it.
    page = new_page()
    sign_in(page, "hana")
    page.goto("/agent/?view=all")
    page.get_by_role("link", name="Salary review for Jane").click()
    page.wait_for_url(f"**/agent/tickets/{secret.pk}")
    expect(page.get_by_role("heading", name="Salary review for Jane")).to_be_visible()

    # An agent outside the team sees the other ticket, not this one, even searching for it.
    outsider = new_page()
    sign_in(outsider, "otto")
    outsider.goto("/agent/?view=all")
    expect(outsider.get_by_role("link", name="Printer out of toner")).to_be_visible()
    expect(outsider.get_by_text("Salary review for Jane")).to_have_count(0)
    outsider.goto(f"/agent/?view=all&q={secret.pk}")
    expect(outsider.get_by_text("Salary review for Jane")).to_have_count(0)
    outsider.goto("/agent/?view=all&q=salary")
    expect(outsider.get_by_text("Salary review for Jane")).to_have_count(0)

    # Its address is a page that does not exist for them.
    response = outsider.goto(f"/agent/tickets/{secret.pk}")
    assert response.status == 404
    expect(outsider.get_by_role("heading", name="We could not find that page")).to_be_visible()
    expect(outsider.get_by_text("No such ticket.")).to_be_visible()
    expect(outsider.get_by_text("Salary review for Jane")).to_have_count(0)
