"""Regressions found in review: each would have been a wrong figure or a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from sla.tests.factories import SLAPolicyFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def create(api) -> Ticket:
    response = api.post(
        "/api/support/tickets",
        {
            "subject": "Help",
            "description": "Something is broken.",
            "customer_email": "c@example.org",
            "category": "general",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Ticket.objects.get(pk=response.json()["id"])


def test_a_late_first_response_stays_late_after_a_pause(agent_api, category):
    SLAPolicyFactory(first_response_hours=1, resolution_hours=24)
    with time_machine.travel(T0, tick=False):
        ticket = create(agent_api)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Late answer"}, format="json")
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "pending"}, format="json")
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "open"}, format="json")
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"priority": "normal"}, format="json")
    ticket.refresh_from_db()

    assert ticket.first_response_due_at == T0 + timedelta(hours=1)
    assert ticket.first_responded_at > ticket.first_response_due_at


def test_closing_keeps_the_resolution_time(agent_api, category):
    SLAPolicyFactory()
    with time_machine.travel(T0, tick=False):
        ticket = create(agent_api)
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "resolved"}, format="json")
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "closed"}, format="json")
    ticket.refresh_from_db()

    assert ticket.resolution_minutes == 90


@pytest.mark.parametrize(
    "url",
    ["/api/support/articles?q=!!!", "/kb/?q=!!!", "/kb/suggest?subject=???", "/api/support/articles?q=%20.%20"],
)
def test_a_punctuation_only_search_finds_nothing_without_failing(client, category, url):
    from knowledge.tests.factories import ArticleFactory

    ArticleFactory()

    response = client.get(url)

    assert response.status_code == 200


def test_a_ticket_with_a_punctuation_subject_has_a_working_page(client, agent, category):
    from tickets.tests.factories import TicketFactory

    ticket = TicketFactory(subject="???")
    client.force_login(agent.user)

    assert client.get(f"/agent/tickets/{ticket.pk}").status_code == 200


@pytest.mark.parametrize("address", ["a@localhost", "root@intranet"])
def test_an_address_without_a_domain_is_a_field_error_everywhere(client, agent_api, supervisor_api, category, address):
    portal = client.post(
        "/portal/tickets/new",
        {
            "customer_name": "A",
            "customer_email": address,
            "category": "general",
            "subject": "Hi",
            "description": "0123456789 x",
        },
    )
    api = agent_api.post(
        "/api/support/tickets",
        {"subject": "Hi", "description": "0123456789 x", "customer_email": address, "category": "general"},
        format="json",
    )
    agent = supervisor_api.post(
        "/api/support/agents", {"name": "N", "email": address, "specializations": ["general"]}, format="json"
    )

    assert portal.status_code == 400 and "with a domain" in portal.content.decode()
    assert api.status_code == 400 and "customer_email" in api.json()
    assert agent.status_code == 400 and "email" in agent.json()


@pytest.mark.parametrize(
    "hours", [{"mon": [[9, 17], ["09:00", "17:00"]]}, {"mon": [[None, "17:00"], ["09:00", "17:00"]]}]
)
def test_odd_working_hours_are_a_field_error(supervisor_api, category, hours):
    response = supervisor_api.post(
        "/api/support/agents",
        {"name": "N", "email": "n@example.com", "specializations": ["general"], "working_hours": hours},
        format="json",
    )

    assert response.status_code == 400
    assert "working_hours" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/support/sla/compliance?end=0001-01-01",
        "/api/support/feedback/summary?end=0001-01-01",
        "/api/support/tickets?assigned_agent=99999999999999999999",
        "/api/support/sla/violations?ticket=99999999999999999999",
        "/api/support/feedback?agent=99999999999999999999",
        "/api/support/sla/compliance?agent=99999999999999999999",
    ],
)
def test_out_of_range_values_are_input_errors(agent_api, category, url):
    assert agent_api.get(url).status_code == 400


def test_a_huge_assignee_filter_in_the_queue_is_ignored(client, agent):
    client.force_login(agent.user)

    assert client.get("/agent/?assignee=99999999999999999999").status_code == 200


def test_capacity_cannot_be_lowered_below_the_current_load(supervisor_api, other_agent):
    from tickets.tests.factories import TicketFactory

    TicketFactory.create_batch(3, assigned_agent=other_agent, status="open")

    response = supervisor_api.patch(f"/api/support/agents/{other_agent.pk}", {"max_tickets": 2}, format="json")

    assert response.status_code == 400
    assert "3 open tickets" in response.json()["max_tickets"][0]


def test_report_series_follow_the_filters(agent_api, category):
    from tickets.tests.factories import TicketFactory

    policy = SLAPolicyFactory(priority="urgent")
    now = datetime.now(UTC)
    TicketFactory(priority="urgent", sla_policy=policy, created_at=now - timedelta(days=1))
    TicketFactory(priority="low", sla_policy=SLAPolicyFactory(priority="low"), created_at=now - timedelta(days=1))

    body = agent_api.get("/api/support/sla/compliance", {"priority": "urgent"}).json()

    assert body["tickets"] == 1
    assert sum(day["tickets"] for day in body["by_day"]) == 1


def test_a_late_reply_is_recorded_as_a_violation_when_it_is_sent(agent_api, agent, supervisor, category):
    from notifications.models import Notification
    from sla.models import SLAViolation

    SLAPolicyFactory(first_response_hours=1, resolution_hours=4)
    with time_machine.travel(T0, tick=False):
        ticket = create(agent_api)
        on_time = create(agent_api)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        agent_api.post(f"/api/support/tickets/{on_time.pk}/messages", {"body": "Quick"}, format="json")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):  # no scan ran in between
        agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Sorry for the wait"}, format="json")
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "resolved"}, format="json")

    assert sorted(SLAViolation.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "first_response",
        "resolution",
    ]
    assert not SLAViolation.objects.filter(ticket=on_time).exists()
    assert Notification.objects.filter(kind="sla.violation.first_response", channel="dashboard").count() >= 1


def test_a_reopened_ticket_never_pushes_its_agent_over_capacity(integration_api, agent):
    from tickets.tests.factories import TicketFactory

    agent.max_tickets = 1
    agent.save()
    resolved = TicketFactory(status="resolved", assigned_agent=agent)
    TicketFactory(status="open", assigned_agent=agent)

    integration_api.post(f"/api/support/tickets/{resolved.pk}/messages", {"body": "It broke again"}, format="json")

    resolved.refresh_from_db()
    assert resolved.status == "open"
    assert resolved.assigned_agent is None  # back to the queue
    assert Ticket.objects.filter(assigned_agent=agent, status__in=["new", "open", "pending", "on_hold"]).count() == 1
