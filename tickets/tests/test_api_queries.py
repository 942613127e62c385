"""Acceptance 4: list and detail endpoints run a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.tests.factories import AgentFactory
from tickets.tests.factories import AttachmentFactory, MessageFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


@pytest.fixture
def hundred_tickets(category):
    agents = AgentFactory.create_batch(3, specializations=[category])
    tags = [TagFactory(name=name) for name in ("vip", "refund", "outage")]
    for index in range(100):
        ticket = TicketFactory(category=category, assigned_agent=agents[index % 3])
        ticket.tags.set(tags[: index % 3 + 1])
        if index % 10 == 0:
            AttachmentFactory(ticket=ticket)


def test_the_ticket_list_costs_the_same_for_1_and_100_tickets(agent_api, hundred_tickets):
    one, page_of_one = count_queries(agent_api, "/api/support/tickets?page_size=1")
    hundred, page_of_hundred = count_queries(agent_api, "/api/support/tickets?page_size=100")

    assert len(page_of_one["results"]) == 1
    assert len(page_of_hundred["results"]) == 100
    assert one == hundred
    assert hundred <= 8


def test_filters_and_ordering_do_not_add_queries_per_row(agent_api, hundred_tickets):
    one, _ = count_queries(agent_api, "/api/support/tickets?page_size=1&ordering=-priority&status=new&tag=vip")
    many, body = count_queries(agent_api, "/api/support/tickets?page_size=100&ordering=-priority&status=new&tag=vip")

    assert body["count"] > 1
    assert one == many


def test_ticket_detail_with_50_messages_costs_the_same_as_with_1(agent_api, agent):
    small = TicketFactory()
    MessageFactory(ticket=small, author_agent=agent)
    large = TicketFactory()
    for index in range(50):
        message = MessageFactory(ticket=large, author_agent=agent, internal=index % 5 == 0)
        if index % 10 == 0:
            AttachmentFactory(ticket=large, message=message)

    few, _ = count_queries(agent_api, f"/api/support/tickets/{small.pk}")
    many, body = count_queries(agent_api, f"/api/support/tickets/{large.pk}")

    assert len(body["messages"]) == 50
    assert few == many


def test_the_messages_list_costs_the_same_for_1_and_50_messages(agent_api, agent):
    ticket = TicketFactory()
    for index in range(50):
        message = MessageFactory(ticket=ticket, author_agent=agent)
        if index % 10 == 0:
            AttachmentFactory(ticket=ticket, message=message)
    url = f"/api/support/tickets/{ticket.pk}/messages"

    one, _ = count_queries(agent_api, f"{url}?page_size=1")
    fifty, body = count_queries(agent_api, f"{url}?page_size=50")

    assert len(body["results"]) == 50
    assert one == fifty


def test_the_history_costs_the_same_for_any_page_size(agent_api):
    ticket = TicketFactory(status="open")
    for status in ["pending", "open", "on_hold", "open", "resolved", "open"]:
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": status}, format="json")
    url = f"/api/support/tickets/{ticket.pk}/history"

    one, _ = count_queries(agent_api, f"{url}?page_size=1")
    six, body = count_queries(agent_api, f"{url}?page_size=50")

    assert [event["new_value"] for event in body["results"]] == [
        "pending",
        "open",
        "on_hold",
        "open",
        "resolved",
        "open",
    ]
    # The same queries, but for the count: a short last page tells it without counting.
    assert six == one - 1


def test_a_listed_ticket_shows_its_tags_in_order_and_only_its_own_attachments(agent_api, agent, category):
    ticket = TicketFactory(category=category)
    ticket.tags.set([TagFactory(name="vip"), TagFactory(name="billing")])
    own = AttachmentFactory(ticket=ticket)
    AttachmentFactory(ticket=ticket, message=MessageFactory(ticket=ticket, author_agent=agent))

    [listed] = agent_api.get("/api/support/tickets").json()["results"]
    detail = agent_api.get(f"/api/support/tickets/{ticket.pk}").json()

    for body in (listed, detail):
        assert body["tags"] == ["billing", "vip"]
        assert [attachment["id"] for attachment in body["attachments"]] == [own.pk]
