"""Acceptance 1 and 2 of the agent workspace, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from knowledge.tests.factories import ArticleFactory
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_whole_journey_from_question_to_survey(new_page):
    general = CategoryFactory(slug="general", name="General")
    SLAPolicyFactory(priority="normal", first_response_hours=4, resolution_hours=24)
    ArticleFactory(title="Reset a forgotten password", slug="reset-password", content="Use the link we email you.")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])
    AgentFactory(user__username="sue", name="Sue Supervisor", role="supervisor", specializations=[general])

    # A customer looks for an answer first.
    customer = new_page()
    customer.goto("/")
    customer.get_by_label("Search the help center").fill("password")
    customer.get_by_role("button", name="Search").click()
    assert customer.get_by_role("link", name="Reset a forgotten password").is_visible()

    # Then writes to support, getting one field wrong first.
    customer.goto("/portal/tickets/new")
    customer.get_by_label("Your name").fill("Jane Roe")
    customer.get_by_label("Your email").fill("jane@")
    customer.get_by_label("What is it about?").select_option("general")
    customer.get_by_label("Subject").fill("Cannot sign in after the update")
    customer.get_by_label("How can we help?").fill("Since this morning my password is refused.")
    customer.get_by_role("button", name="Send request").click()
    assert customer.get_by_text("Enter a valid email address.").is_visible()
    customer.get_by_label("Your email").fill("jane@example.org")
    customer.get_by_role("button", name="Send request").click()
    customer.wait_for_url("**/submitted")
    ticket = Ticket.objects.get()
    assert customer.get_by_role("heading", name=f"Thank you, we received your request #{ticket.pk}").is_visible()
    private_link = customer.get_by_role("link", name="Open your request").get_attribute("href")

    # An agent takes it, notes something internal and answers.
    agent = new_page()
    sign_in(agent, "agnes")
    agent.goto("/agent/?view=unassigned")
    agent.get_by_role("link", name="Cannot sign in after the update").click()
    agent.get_by_role("button", name="Take it").click()
    assert agent.get_by_text("Assigned to Agnes Agent.").is_visible()
    agent.get_by_label("Message").fill("Customer is on the old app version.")
    agent.get_by_label("Internal note (only agents see it)").check()
    agent.get_by_role("button", name="Send").click()
    assert agent.get_by_text("Internal note added.").is_visible()
    agent.get_by_label("Message").fill("Please update the app to 4.2.1; sign-in works again there.")
    agent.get_by_role("button", name="Send").click()
    assert agent.get_by_text("Reply sent to the customer.").is_visible()

    # The customer sees the answer, never the note, and replies.
    customer.goto(private_link)
    assert customer.get_by_text("Please update the app to 4.2.1").is_visible()
    assert customer.get_by_text("old app version").count() == 0
    customer.get_by_label("Your reply").fill("Updated, it works. Thank you!")
    customer.get_by_role("button", name="Send reply").click()
    assert customer.get_by_text("Your reply was sent.").is_visible()

    # The agent resolves it; the customer answers the survey.
    agent.goto(f"/agent/tickets/{ticket.pk}")
    agent.get_by_label("Status").select_option("resolved")
    agent.get_by_role("button", name="Save").click()
    assert agent.get_by_text("Ticket updated.").is_visible()
    survey_email = next(m for m in mail.outbox if "How did we do?" in m.subject)
    survey_link = re.search(r"(http://\S+/portal/survey/\S+)", survey_email.body).group(1)
    customer.goto(survey_link)
    customer.get_by_role("group", name="Overall, how satisfied are you with our support?").get_by_label("5").check()
    customer.get_by_role("group", name="Would you recommend us to a friend or colleague?").get_by_label("Yes").check()
    customer.get_by_role("button", name="Send my answer").click()
    assert customer.get_by_role("heading", name="Thank you!").is_visible()

    # The supervisor's dashboard counts it.
    supervisor = new_page()
    sign_in(supervisor, "sue")
    supervisor.goto("/agent/dashboard")
    csat = supervisor.locator("figure", has_text="CSAT per week")
    csat.get_by_text("Figures as a table").click()
    assert csat.get_by_role("cell", name="100%").is_visible()
    compliance = supervisor.locator("figure", has_text="SLA compliance per day")
    compliance.get_by_text("Figures as a table").click()
    assert compliance.get_by_role("cell", name="100%").is_visible()  # responded and resolved in time
    assert supervisor.get_by_role("row", name=re.compile(r"Agnes Agent")).is_visible()


def test_breached_and_at_risk_tickets_say_so_in_the_queue_and_on_the_page(new_page):
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", specializations=[general])
    policy = SLAPolicyFactory()
    now = timezone.now()
    late = TicketFactory(
        subject="Printer on fire", category=general, status="open", sla_policy=policy,
        first_response_due_at=now - timedelta(minutes=45), first_response_at_risk_at=now - timedelta(hours=1),
        resolution_due_at=now + timedelta(hours=20),
    )  # fmt: skip
    close = TicketFactory(
        subject="Toner low", category=general, status="open", sla_policy=policy,
        first_response_due_at=now + timedelta(minutes=20), first_response_at_risk_at=now - timedelta(minutes=10),
        resolution_due_at=now + timedelta(hours=20),
    )  # fmt: skip

    page = new_page()
    sign_in(page, "agnes")
    page.goto("/agent/?view=sla")

    assert (
        page.get_by_role("row", name=re.compile("Printer on fire"))
        .get_by_text(re.compile("Breached: first response"))
        .is_visible()
    )
    assert (
        page.get_by_role("row", name=re.compile("Toner low"))
        .get_by_text(re.compile("At risk: first response"))
        .is_visible()
    )
    page.goto(f"/agent/tickets/{late.pk}")
    assert page.get_by_text(re.compile("Breached: first response")).is_visible()
    page.goto(f"/agent/tickets/{close.pk}")
    assert page.get_by_text(re.compile("At risk: first response")).is_visible()


def test_a_macros_text_is_inserted_after_the_draft_not_instead_of_it(new_page):
    from automation.tests.factories import make_macro

    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", specializations=[general])
    ticket = TicketFactory(subject="Refund please", category=general, customer_name="Jane Roe")
    make_macro("Refund on its way", reply="Hi {customer_name}, the refund is on its way.")
    make_macro("Greeting", reply="Hello!")

    page = new_page()
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{ticket.pk}")
    page.get_by_label("Message").fill("My own first line.")
    page.get_by_placeholder("Search macros").type("refund", delay=50)
    # Locator assertions, not wait_for_function: a string evaluated in the page is eval(),
    # which the Content-Security-Policy refuses.
    expect(page.locator("#macro-choice option")).to_have_count(1)
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("link", name="Insert text").click()
    expect(page.get_by_label("Message")).to_have_value(re.compile("refund is on its way"))

    assert page.get_by_label("Message").input_value() == "My own first line.\n\nHi Jane Roe, the refund is on its way."
