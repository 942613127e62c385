"""Acceptance 1: every limit of SPEC.md, at and just past each bound, in the API and in the database."""

from __future__ import annotations

import pytest
from django.db import DataError, IntegrityError, transaction

from tickets.models import Message, Ticket
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


def ticket_payload(**overrides):
    payload = {
        "subject": "Cannot log in",
        "description": "Since this morning the login page rejects my password.",
        "customer_email": "jane@example.org",
        "customer_name": "Jane Roe",
        "category": "general",
    }
    payload.update(overrides)
    return payload


# --- Ticket ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("subject", "", False),
        ("subject", "x", True),
        ("subject", "x" * 255, True),
        ("subject", "x" * 256, False),
        ("description", "x" * 9, False),
        ("description", "x" * 10, True),
        ("description", "x" * 5000, True),
        ("description", "x" * 5001, False),
        ("customer_email", "jane@example.org", True),
        ("customer_email", "jane@", False),
        ("customer_email", "", False),
        ("priority", "urgent", True),
        ("priority", "critical", False),
        ("category", "general", True),
        ("category", "astrology", False),
        ("channel", "email", True),
        ("channel", "pigeon", False),
        ("tags", ["vip", "refund"], True),
        ("tags", ["not a slug!"], False),
    ],
)
def test_ticket_create_enforces_each_limit(agent_api, category, field, value, accepted):
    response = agent_api.post("/api/support/tickets", ticket_payload(**{field: value}), format="json")

    if accepted:
        assert response.status_code == 201, response.json()
        assert Ticket.objects.count() == 1
    else:
        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert Ticket.objects.count() == 0


@pytest.mark.parametrize("missing", ["subject", "description", "customer_email", "category"])
def test_ticket_create_names_each_missing_field(agent_api, category, missing):
    payload = ticket_payload()
    del payload[missing]

    response = agent_api.post("/api/support/tickets", payload, format="json")

    assert response.status_code == 400
    assert response.json()[missing] == ["This field is required."]


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("subject", "", False),
        ("subject", "x" * 255, True),
        ("subject", "x" * 256, False),
        ("priority", "meh", False),
    ],
)
def test_ticket_update_enforces_limits(agent_api, field, value, accepted):
    ticket = TicketFactory(subject="Before")

    response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", {field: value}, format="json")

    ticket.refresh_from_db()
    if accepted:
        assert response.status_code == 200
        assert getattr(ticket, field) == value
    else:
        assert response.status_code == 400
        assert field in response.json()
        assert ticket.subject == "Before"


def test_ticket_update_refuses_fields_it_does_not_change(agent_api):
    ticket = TicketFactory()

    response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"channel": "email"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"channel": ["This field cannot be changed here."]}


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": ""},
        {"subject": "x" * 256},
        {"description": "x" * 9},
        {"description": "x" * 5001},
        {"customer_email": "not-an-address"},
        {"priority": "critical"},
        {"status": "limbo"},
        {"channel": "pigeon"},
        {"status": "closed", "closed_at": None},
        {"status": "resolved", "resolved_at": None},
    ],
)
def test_the_database_refuses_bad_tickets(category, fields):
    values = {
        "subject": "Fine",
        "description": "A fine description",
        "customer_email": "a@example.org",
        "category": category,
        **fields,
    }
    with (
        pytest.raises((IntegrityError, DataError)),
        transaction.atomic(),
    ):  # DataError: too long for the column
        Ticket.objects.create(**values)


@pytest.mark.parametrize(
    ("field", "value"), [("subject", "x" * 255), ("description", "x" * 5000), ("description", "x" * 10)]
)
def test_the_database_accepts_tickets_at_the_bounds(category, field, value):
    values = {"subject": "Fine", "description": "A fine description", "customer_email": "a@example.org"}
    Ticket.objects.create(category=category, **{**values, field: value})


# --- Message --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "accepted"),
    [("", False), ("   ", False), ("x", True), ("x" * 10000, True), ("x" * 10001, False)],
)
def test_message_body_limits(agent_api, body, accepted):
    ticket = TicketFactory()

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": body}, format="json")

    if accepted:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 400
        assert "body" in response.json()
        assert not ticket.messages.exists()


@pytest.mark.parametrize(("rating", "accepted"), [(0, False), (1, True), (5, True), (6, False), ("five", False)])
def test_rating_limits(integration_api, rating, accepted):
    reply = MessageFactory(author_type="agent")

    response = integration_api.post(
        f"/api/support/tickets/{reply.ticket_id}/messages/{reply.pk}/rate", {"rating": rating}, format="json"
    )

    reply.refresh_from_db()
    if accepted:
        assert response.status_code == 200
        assert reply.rating == rating
    else:
        assert response.status_code == 400
        assert "rating" in response.json()
        assert reply.rating is None


@pytest.mark.parametrize(
    "fields",
    [
        {"body": ""},
        {"body": "x" * 10001},
        {"rating": 0},
        {"rating": 6},
        {"author_type": "robot"},
        {"author_type": "customer", "internal": True},
        {"author_type": "customer", "rating": 5},
        {"author_type": "agent", "internal": True, "rating": 4},
    ],
)
def test_the_database_refuses_bad_messages(fields):
    ticket = TicketFactory()
    values = {"ticket": ticket, "author_type": "agent", "body": "Hello", **fields}
    with (
        pytest.raises((IntegrityError, DataError)),
        transaction.atomic(),
    ):  # DataError: too long for the column
        Message.objects.create(**values)


def test_the_database_accepts_messages_at_the_bounds():
    ticket = TicketFactory()
    Message.objects.create(ticket=ticket, author_type="agent", body="x", rating=1)
    Message.objects.create(ticket=ticket, author_type="agent", body="x" * 10000, rating=5)
