"""A colleague copied on a request answers through their own link (issue 22, points 6 and 7):
the customer copies them on the contact form, an agent replies, the CC opens the link of the
email the outbox holds for them, replies, and the agent reads who wrote it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.test_journey import sign_in
from notifications.models import Channel, Notification
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"(http://\S+/portal/tickets/[^/\s]+/)")


def test_a_cc_opens_their_own_link_and_replies(new_page):
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])

    customer = new_page()
    customer.goto("/portal/tickets/new")
    customer.get_by_label("Your name").fill("Jane Roe")
    customer.get_by_label("Your email").fill("jane@example.org")
    customer.get_by_label("What is it about?").select_option("general")
    customer.get_by_label("Subject").fill("Invoice shows the wrong address")
    customer.get_by_label("How can we help?").fill("The March invoice has our old office address on it.")
    customer.get_by_label("Copy others (optional)").fill("Bob.Books@example.org")
    customer.get_by_role("button", name="Send request").click()
    customer.wait_for_url("**/submitted")
    ticket = Ticket.objects.get()

    agent = new_page()
    sign_in(agent, "agnes")
    agent.goto(f"/agent/tickets/{ticket.pk}")
    expect(agent.locator(".cc-list")).to_contain_text("bob.books@example.org")
    agent.get_by_label("Message").fill("We have corrected the address; a new invoice follows.")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.get_by_text("Reply sent to the customer.")).to_be_visible()

    # The CC's copy of the reply, with a link of their own.
    email = Notification.objects.get(channel=Channel.EMAIL, recipient="bob.books@example.org", kind="ticket.cc_reply")
    cc_link = LINK.search(email.payload["text"])[1]
    bob = new_page()
    bob.goto(cc_link)
    expect(bob.get_by_text("We have corrected the address")).to_be_visible()
    expect(bob.get_by_text("are copied on this request")).to_be_visible()
    expect(bob.get_by_role("button", name="Rate reply")).to_have_count(0)
    bob.get_by_label("Your reply").fill("Please send it to accounts@example.org as well.")
    bob.get_by_role("button", name="Send reply").click()
    expect(bob.get_by_text("Your reply was sent.")).to_be_visible()

    agent.goto(f"/agent/tickets/{ticket.pk}")
    message = agent.locator(".message", has_text="Please send it to accounts@example.org as well.")
    expect(message).to_contain_text("bob.books@example.org (CC)")
