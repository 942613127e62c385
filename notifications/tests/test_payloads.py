"""SLA alerts written by the scan carry facts; every channel and page shows the ticket's words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import api_client_for
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from sla.scan import sla_scan
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def linked_tickets(text: str) -> list[int]:
    return [int(pk) for pk in re.findall(r"/agent/tickets/(\d+)", text)]


def breached(category, agent, count: int = 1, **fields) -> list[Ticket]:
    """Tickets whose resolution was due an hour ago (first response not yet due)."""
    values = {
        "subject": "Printer on fire",
        "description": "Waiting for too long.",
        "customer_email": "c@example.org",
        "category": category,
        "status": "open",
        "priority": "high",
        "sla_policy": SLAPolicyFactory(),
        "assigned_agent": agent,
        "created_at": NOW - timedelta(hours=30),
        "first_response_due_at": NOW + timedelta(hours=5),
        "resolution_due_at": NOW - timedelta(hours=1),
        "first_response_at_risk_at": NOW + timedelta(hours=4),
        "resolution_at_risk_at": NOW - timedelta(hours=2),
        **fields,
    }
    # In batches: a statement takes at most 65,535 parameters (a ticket has 35 columns).
    return Ticket.objects.bulk_create([Ticket(**values) for _ in range(count)], batch_size=1000)


def test_a_scan_email_names_the_ticket_and_links_to_it(category, agent):
    [ticket] = breached(category, agent)
    sla_scan(now=NOW)

    notifications_deliver_due(now=NOW + timedelta(minutes=1))

    [email] = [m for m in mail.outbox if m.to == [agent.email]]
    assert f"#{ticket.pk}" in email.subject and "Printer on fire" in email.subject
    assert "SLA breached: resolution" in email.subject
    for body in (email.body, email.alternatives[0][0]):
        assert "Printer on fire" in body and "high" in body and "c@example.org" in body
        assert linked_tickets(body) == [ticket.pk]
    assert "2026-11-30T12:00:00" in email.body  # detected: when the scan ran


def test_a_scan_slack_message_names_the_ticket_and_links_to_it(category, agent, fake_slack):
    [ticket] = breached(category, agent)
    sla_scan(now=NOW)

    notifications_deliver_due(now=NOW + timedelta(minutes=1))

    [message] = fake_slack.received
    assert f"SLA breached: resolution on #{ticket.pk} Printer on fire" in message["text"]
    assert "Priority high" in message["text"] and "c@example.org" in message["text"]
    assert f"/agent/tickets/{ticket.pk}|Open ticket #{ticket.pk}>" in message["text"]
    assert Notification.objects.get(channel="slack").status == "sent"


def test_the_dashboard_list_shows_scan_alerts_with_one_ticket_read_per_page(client, category, agent):
    client.force_login(agent.user)
    breached(category, agent)
    sla_scan(now=NOW)
    with CaptureQueriesContext(connection) as one:
        first = client.get("/agent/notifications").content.decode()
    tickets = breached(category, agent, count=10, subject="Fax is haunted")
    sla_scan(now=NOW + timedelta(minutes=1))
    with CaptureQueriesContext(connection) as eleven:
        page = client.get("/agent/notifications").content.decode()

    assert "SLA breached: resolution on #" in first and "Printer on fire" in first
    for ticket in tickets:
        assert f"SLA breached: resolution on #{ticket.pk} Fax is haunted" in page
        assert f'value="/agent/tickets/{ticket.pk}"' in page
    assert len(eleven) == len(one)


def test_the_api_gives_scan_alerts_a_title_url_and_ticket_with_one_ticket_read(category, agent):
    api = api_client_for(agent.user)
    [ticket] = breached(category, agent)
    sla_scan(now=NOW)
    with CaptureQueriesContext(connection) as one:
        [alert] = api.get("/api/support/notifications").json()["results"]
    breached(category, agent, count=10)
    sla_scan(now=NOW + timedelta(minutes=1))
    with CaptureQueriesContext(connection) as eleven:
        results = api.get("/api/support/notifications").json()["results"]

    assert alert["kind"] == "sla.violation.resolution"
    assert alert["title"] == f"SLA breached: resolution on #{ticket.pk} Printer on fire"
    assert alert["url"].endswith(f"/agent/tickets/{ticket.pk}")
    assert alert["ticket_id"] == ticket.pk
    assert len(results) == 11
    assert len(eleven) == len(one)
    read = api.post(f"/api/support/notifications/{alert['id']}/read").json()
    assert read["title"] == alert["title"] and read["read_at"] is not None


def test_an_alert_whose_ticket_is_gone_still_renders(category, agent, fake_slack):
    [ticket] = breached(category, agent)
    sla_scan(now=NOW)
    ticket_id = ticket.pk
    Ticket.objects.filter(pk=ticket_id).delete()

    notifications_deliver_due(now=NOW + timedelta(minutes=1))

    [message] = fake_slack.received
    assert f"SLA breached: resolution on #{ticket_id}" in message["text"]
    assert Notification.objects.filter(status="sent").count() == Notification.objects.count()
    assert any(f"#{ticket_id}" in email.subject for email in mail.outbox)


def test_alerts_written_with_a_full_payload_render_as_before(agent, fake_slack):
    # Rows written before alerts carried facts only: their own words, no ticket read.
    payload = {
        "type": "violation",
        "kind": "first_response",
        "ticket_id": 424242,
        "subject": "Old subject",
        "priority": "urgent",
        "customer_email": "old@example.org",
        "due_at": "2026-11-30T11:00:00+00:00",
        "detected_at": "2026-11-30T12:00:00+00:00",
        "title": "SLA breached: first response on #424242 Old subject",
        "url": "http://helpdesk.example.com/agent/tickets/424242",
    }
    kind = "sla.violation.first_response"
    NotificationFactory(channel="email", recipient=agent.email, kind=kind, payload=payload)
    NotificationFactory(channel="slack", recipient="default", kind=kind, payload=payload)
    notice = NotificationFactory(
        channel="dashboard", recipient="agent", user=agent.user, kind=kind, payload=payload, status="sent"
    )

    notifications_deliver_due()

    [email] = mail.outbox
    assert "Old subject" in email.subject and payload["url"] in email.body and "old@example.org" in email.body
    [message] = fake_slack.received
    assert payload["title"] in message["text"] and payload["url"] in message["text"]
    [listed] = api_client_for(agent.user).get("/api/support/notifications").json()["results"]
    assert (listed["id"], listed["title"], listed["url"]) == (notice.pk, payload["title"], payload["url"])


def test_scan_alert_emails_are_written_in_each_agent_language_with_one_agent_read(category, agent, other_agent):
    other_agent.language = "ru"
    other_agent.save()
    breached(category, agent)
    breached(category, other_agent)
    sla_scan(now=NOW)

    with CaptureQueriesContext(connection) as captured:
        notifications_deliver_due()

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert re.search("[а-яА-Я]", subjects[other_agent.email])
    assert not re.search("[а-яА-Я]", subjects[agent.email])
    assert sum('"agents_agent"' in query["sql"] for query in captured.captured_queries) == 1
