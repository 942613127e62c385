"""Acceptance 3: ratings outside 1-5 are refused by the form, the API and the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from feedback.models import Feedback
from feedback.services import survey_token
from feedback.tests.factories import FeedbackFactory, SurveyInvitationFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [("overall", "0"), ("overall", "6"), ("overall", ""), ("speed", "0"), ("quality", "6"), ("friendliness", "x")],
)
def test_the_survey_form_refuses_bad_ratings(client, field, value):
    invitation = SurveyInvitationFactory()
    data = {"overall": "4", field: value}

    response = client.post(f"/portal/survey/{survey_token(invitation)}", data)

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "This field is required" in response.content.decode()
    assert not Feedback.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("overall", 0, False),
        ("overall", 1, True),
        ("overall", 5, True),
        ("overall", 6, False),
        ("speed", 0, False),
        ("speed", 5, True),
        ("quality", 6, False),
        ("friendliness", -1, False),
        ("friendliness", None, True),
        ("comment", "x" * 5001, False),
        ("customer_email", "nope", False),
        ("ticket", 999999, False),
    ],
)
def test_the_api_refuses_bad_values_naming_the_field(integration_api, field, value, accepted):
    ticket = TicketFactory(status="resolved")
    payload = {"ticket": ticket.pk, "overall": 4, field: value}

    response = integration_api.post("/api/support/feedback", payload, format="json")

    assert response.status_code == (201 if accepted else 400), response.json()
    if not accepted:
        assert field in response.json()
        assert not Feedback.objects.exists()


def test_feedback_is_for_resolved_tickets(integration_api):
    response = integration_api.post(
        "/api/support/feedback", {"ticket": TicketFactory(status="open").pk, "overall": 5}, format="json"
    )

    assert response.status_code == 400
    assert "resolved or closed" in response.json()["ticket"][0]


def test_the_api_needs_an_overall_rating(integration_api):
    response = integration_api.post(
        "/api/support/feedback", {"ticket": TicketFactory(status="resolved").pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["overall"] == ["This field is required."]


def test_a_ticket_is_rated_once(integration_api):
    ticket = TicketFactory(status="resolved")
    first = integration_api.post("/api/support/feedback", {"ticket": ticket.pk, "overall": 5}, format="json")
    second = integration_api.post("/api/support/feedback", {"ticket": ticket.pk, "overall": 1}, format="json")

    assert (first.status_code, second.status_code) == (201, 409)
    assert Feedback.objects.get().overall == 5


@pytest.mark.parametrize(
    "fields", [{"overall": 0}, {"overall": 6}, {"overall": None}, {"speed": 0}, {"quality": 6}, {"friendliness": 9}]
)
def test_the_database_refuses_bad_ratings(fields):
    ticket = TicketFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(ticket=ticket, customer_email="a@b.org", **{"overall": 3, **fields})


def test_anonymous_callers_cannot_send_feedback(anonymous_api):
    assert anonymous_api.post("/api/support/feedback", {"overall": 5}, format="json").status_code == 401
    assert anonymous_api.get("/api/support/feedback/summary").status_code == 401


def test_feedback_is_listed_with_filters(agent_api, agent):
    mine = FeedbackFactory(ticket=TicketFactory(assigned_agent=agent), overall=2)
    FeedbackFactory(overall=5)

    ids = [f["id"] for f in agent_api.get("/api/support/feedback", {"agent": agent.pk}).json()["results"]]
    low = [f["id"] for f in agent_api.get("/api/support/feedback", {"rating": 2}).json()["results"]]

    assert ids == [mine.pk] and low == [mine.pk]
