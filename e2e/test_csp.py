"""The Content-Security-Policy refuses nothing the pages themselves need, in a real browser.

Chromium reports every refused script, style, image or connection on the console
("Refused to ... because it violates the following Content Security Policy directive");
each page below is visited, used a little, and must report none.
"""

from __future__ import annotations

import pytest

from agents.tests.factories import AgentFactory
from automation.tests.factories import make_macro
from knowledge.tests.factories import ArticleFactory, FAQFactory
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def watch_csp(page) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: refused.append(f"page error: {error}"))
    return refused


def test_no_page_is_refused_anything_by_its_policy(new_page):
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="sue", role="supervisor", specializations=[general])
    ArticleFactory(title="Reset a forgotten password", slug="reset-password", content="Use the link we email you.")
    FAQFactory(category=general)
    ticket = TicketFactory(subject="Refund please", category=general)
    make_macro("Refund on its way", reply="Hi {customer_name}, refunded.", actions=[("add_tags", "refund")])

    page = new_page()
    refused = watch_csp(page)

    for path in ("/", "/kb/", "/kb/reset-password", "/faq/", "/portal/tickets/lookup"):
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
    # The contact form suggests articles through htmx as the subject is typed.
    page.goto("/portal/tickets/new")
    page.get_by_label("Subject").type("forgotten password", delay=30)
    page.get_by_role("link", name="Reset a forgotten password").wait_for()

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/agent/**")
    page.goto(f"/agent/tickets/{ticket.pk}")
    # The macro picker searches and previews through htmx.
    page.get_by_placeholder("Search macros").type("refund", delay=30)
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Apply macro").wait_for()
    page.goto("/agent/dashboard")
    page.goto("/admin/")

    assert refused == []


def test_the_api_docs_work_under_the_policy(new_page):
    page = new_page()
    refused = watch_csp(page)

    response = page.goto("/api/docs/")
    page.get_by_text("/api/support/tickets", exact=False).first.wait_for()

    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Helpdesk API")
    assert refused == []
