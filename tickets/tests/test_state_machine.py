"""Acceptance 2: every (from, to) pair of statuses through the API."""

from __future__ import annotations

import itertools

import pytest

from tickets.models import Status, TicketEvent
from tickets.state_machine import TRANSITIONS
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db

PAIRS = [(a, b) for a, b in itertools.permutations(Status.values, 2)]
ALLOWED = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]


def test_the_pairs_cover_every_status_combination():
    assert len(PAIRS) == 30
    assert len(ALLOWED) + len(FORBIDDEN) == 30
    assert ("resolved", "open") in ALLOWED  # reopen
    assert ("open", "closed") in FORBIDDEN  # closed only after resolved


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_an_allowed_change_succeeds_and_is_recorded(agent_api, agent, current, target):
    ticket = TicketFactory(status=current)

    response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": target}, format="json")

    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert ticket.status == target
    event = TicketEvent.objects.get(ticket=ticket, kind="status")
    assert (event.old_value, event.new_value) == (current, target)
    assert event.actor_type == "agent"
    assert event.actor_user == agent.user
    assert response.json()["allowed_statuses"] == list(TRANSITIONS[target])


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_a_forbidden_change_answers_409_with_the_allowed_targets_and_changes_nothing(agent_api, current, target):
    ticket = TicketFactory(status=current, priority="normal")

    response = agent_api.patch(
        f"/api/support/tickets/{ticket.pk}", {"status": target, "priority": "urgent"}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["allowed_statuses"] == list(TRANSITIONS[current])
    assert body["status"] == current
    assert target in body["detail"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (current, "normal")
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_resolving_and_closing_stamp_their_times_and_reopening_clears_resolution(agent_api):
    ticket = TicketFactory(status="open")
    url = f"/api/support/tickets/{ticket.pk}"

    resolved = agent_api.patch(url, {"status": "resolved"}, format="json").json()
    assert resolved["resolved_at"] is not None
    reopened = agent_api.patch(url, {"status": "open"}, format="json").json()
    assert reopened["resolved_at"] is None
    agent_api.patch(url, {"status": "resolved"}, format="json")
    closed = agent_api.patch(url, {"status": "closed"}, format="json").json()
    assert closed["closed_at"] is not None


@pytest.mark.parametrize("status", ["pending", "resolved"])
def test_a_customer_reply_reopens_a_pending_or_resolved_ticket(integration_api, status):
    ticket = TicketFactory(status=status)

    response = integration_api.post(
        f"/api/support/tickets/{ticket.pk}/messages", {"body": "It happens again."}, format="json"
    )

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.resolved_at is None
    assert TicketEvent.objects.filter(ticket=ticket, kind="status", old_value=status, new_value="open").exists()


@pytest.mark.parametrize("status", ["new", "open", "on_hold"])
def test_a_customer_reply_leaves_other_statuses_alone(integration_api, status):
    ticket = TicketFactory(status=status)

    integration_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Any news?"}, format="json")

    ticket.refresh_from_db()
    assert ticket.status == status


def test_a_closed_ticket_takes_no_more_messages(agent_api):
    ticket = TicketFactory(status="closed")

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "Hello?"}, format="json")

    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    assert not ticket.messages.exists()


def test_the_first_public_agent_reply_sets_first_response_and_opens_a_new_ticket(agent_api):
    ticket = TicketFactory(status="new")
    url = f"/api/support/tickets/{ticket.pk}/messages"

    agent_api.post(url, {"body": "Looking into it (note)", "internal": True}, format="json")
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert ticket.status == "new"

    reply = agent_api.post(url, {"body": "We are on it."}, format="json").json()
    agent_api.post(url, {"body": "Second reply."}, format="json")

    ticket.refresh_from_db()
    assert ticket.first_responded_at.isoformat().replace("+00:00", "Z") == reply["created_at"]
    assert ticket.status == "open"
    assert TicketEvent.objects.filter(ticket=ticket, kind="first_response").count() == 1


def test_a_reply_can_be_rated_once(integration_api):
    reply = MessageFactory(author_type="agent")
    url = f"/api/support/tickets/{reply.ticket_id}/messages/{reply.pk}/rate"

    assert integration_api.post(url, {"rating": 4, "comment": "Quick"}, format="json").status_code == 200
    second = integration_api.post(url, {"rating": 1}, format="json")

    assert second.status_code == 409
    reply.refresh_from_db()
    assert (reply.rating, reply.rating_comment) == (4, "Quick")


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"author_type": "customer"}, 409), ({"author_type": "agent", "internal": True}, 404)],  # notes are invisible
)
def test_only_public_agent_replies_can_be_rated(integration_api, fields, status):
    message = MessageFactory(**fields)

    response = integration_api.post(
        f"/api/support/tickets/{message.ticket_id}/messages/{message.pk}/rate", {"rating": 5}, format="json"
    )

    assert response.status_code == status
    message.refresh_from_db()
    assert message.rating is None


def test_agents_cannot_rate_replies(agent_api):
    reply = MessageFactory(author_type="agent")

    response = agent_api.post(
        f"/api/support/tickets/{reply.ticket_id}/messages/{reply.pk}/rate", {"rating": 5}, format="json"
    )

    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.rating is None


def test_a_closed_ticket_cannot_be_edited(integration_api):
    ticket = TicketFactory(status="closed", priority="urgent")

    response = integration_api.patch(f"/api/support/tickets/{ticket.pk}", {"priority": "low"}, format="json")

    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
