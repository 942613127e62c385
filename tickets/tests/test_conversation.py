"""Acceptance 6 and 7: internal notes stay internal; the right emails go out, once."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from notifications.models import Notification
from tickets.links import private_token
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

NEW_TICKET = {
    "subject": "Order never arrived",
    "description": "I ordered a lamp two weeks ago and it never arrived.",
    "customer_email": "jane@example.org",
    "customer_name": "Jane Roe",
    "category": "general",
}


def private_link_in(message) -> str:
    match = re.search(r"http://testserver(/portal/tickets/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_creation_sends_one_acknowledgement_with_a_working_private_link(
    agent_api, category, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post("/api/support/tickets", NEW_TICKET, format="json")

    assert response.status_code == 201
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == ["jane@example.org"]
    assert f"#{response.json()['id']}" in ack.subject
    assert ack.alternatives and "<a href=" in ack.alternatives[0][0]
    page = client.get(private_link_in(ack))
    assert page.status_code == 200
    assert "Order never arrived" in page.content.decode()
    assert Notification.objects.get(kind="ticket.created").status == "sent"


def test_a_public_reply_sends_one_email_to_the_customer(agent_api, django_capture_on_commit_callbacks):
    ticket = TicketFactory(customer_email="jane@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Your lamp ships today."}, format="json")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jane@example.org"]
    assert "Your lamp ships today." in mail.outbox[0].body


def test_an_internal_note_sends_no_email(agent_api, django_capture_on_commit_callbacks):
    ticket = TicketFactory(customer_email="jane@example.org")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = agent_api.post(
            f"/api/support/tickets/{ticket.pk}/messages",
            {"body": "Customer is a reseller.", "internal": True},
            format="json",
        )

    assert response.status_code == 201
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_customer_reply_tells_the_assigned_agent(integration_api, agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(assigned_agent=agent, status="pending")

    with django_capture_on_commit_callbacks(execute=True):
        integration_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Still broken."}, format="json")

    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert "Still broken." in mail.outbox[0].body
    assert Notification.objects.filter(channel="dashboard", user=agent.user, kind="ticket.customer_reply").exists()


def test_assignment_tells_the_agent_by_email_and_on_the_dashboard(
    supervisor_api, agent, django_capture_on_commit_callbacks
):
    ticket = TicketFactory()

    with django_capture_on_commit_callbacks(execute=True):
        supervisor_api.post(f"/api/support/tickets/{ticket.pk}/assign", {"agent": agent.pk}, format="json")

    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert "Assigned to you" in mail.outbox[0].subject
    assert Notification.objects.filter(channel="dashboard", user=agent.user, kind="ticket.assigned").count() == 1


def test_nothing_is_sent_when_the_change_fails(agent_api, django_capture_on_commit_callbacks):
    ticket = TicketFactory(status="closed")

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Hello"}, format="json")

    assert response.status_code == 409
    assert mail.outbox == []
    assert not Notification.objects.exists()


# --- Internal notes never reach the customer or an integration ---------------------------


@pytest.fixture
def ticket_with_note(agent_api):
    ticket = TicketFactory(customer_email="jane@example.org")
    url = f"/api/support/tickets/{ticket.pk}/messages"
    agent_api.post(url, {"body": "PUBLIC-REPLY we are on it"}, format="json")
    note_file = SimpleUploadedFile("secret.txt", b"internal figures", content_type="text/plain")
    agent_api.post(
        f"{url}/with-attachments",
        {"body": "INTERNAL-NOTE refund was denied before", "internal": "true", "attachments": [note_file]},
        format="multipart",
    )
    return ticket


def test_the_private_link_never_shows_internal_notes(client, ticket_with_note):
    page = client.get(f"/portal/tickets/{private_token(ticket_with_note)}/").content.decode()

    assert "PUBLIC-REPLY" in page
    assert "INTERNAL-NOTE" not in page
    assert "secret.txt" not in page


def test_internal_note_attachments_cannot_be_fetched_through_the_private_link(client, ticket_with_note):
    attachment = ticket_with_note.attachments.get(name="secret.txt")

    response = client.get(f"/portal/tickets/{private_token(ticket_with_note)}/attachments/{attachment.pk}")

    assert response.status_code == 404


def test_an_integration_token_cannot_read_internal_notes(integration_api, agent_api, ticket_with_note):
    detail = integration_api.get(f"/api/support/tickets/{ticket_with_note.pk}").json()
    messages = integration_api.get(f"/api/support/tickets/{ticket_with_note.pk}/messages").json()
    attachment = ticket_with_note.attachments.get(name="secret.txt")

    assert [m["body"] for m in detail["messages"]] == ["PUBLIC-REPLY we are on it"]
    assert [m["body"] for m in messages["results"]] == ["PUBLIC-REPLY we are on it"]
    assert (
        integration_api.get(f"/api/support/tickets/{ticket_with_note.pk}/attachments/{attachment.pk}").status_code
        == 404
    )
    # while agents see both, and the file
    assert len(agent_api.get(f"/api/support/tickets/{ticket_with_note.pk}").json()["messages"]) == 2
    assert agent_api.get(f"/api/support/tickets/{ticket_with_note.pk}/attachments/{attachment.pk}").status_code == 200


def test_an_integration_cannot_write_internal_notes(integration_api):
    ticket = TicketFactory()

    response = integration_api.post(
        f"/api/support/tickets/{ticket.pk}/messages", {"body": "psst", "internal": True}, format="json"
    )

    assert response.status_code == 403
    assert not ticket.messages.exists()


def test_internal_notes_are_never_emailed(agent_api, ticket_with_note, django_capture_on_commit_callbacks):
    bodies = " ".join(n.payload.get("text", "") for n in Notification.objects.all())

    assert "PUBLIC-REPLY" in bodies
    assert "INTERNAL-NOTE" not in bodies


def test_integrations_do_not_learn_from_the_history_that_a_note_was_written(
    integration_api, agent_api, ticket_with_note
):
    integration_kinds = [
        e["kind"] for e in integration_api.get(f"/api/support/tickets/{ticket_with_note.pk}/history").json()["results"]
    ]
    agent_kinds = [
        e["kind"] for e in agent_api.get(f"/api/support/tickets/{ticket_with_note.pk}/history").json()["results"]
    ]

    assert "note" not in integration_kinds
    assert "note" in agent_kinds
