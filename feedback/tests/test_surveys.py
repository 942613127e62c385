"""Acceptance 1 and 2: one invitation per resolution, a link that works once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from feedback.models import Feedback, SurveyInvitation
from feedback.services import survey_token
from feedback.tests.factories import SurveyInvitationFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ANSWER = {
    "overall": "4",
    "speed": "3",
    "quality": "5",
    "friendliness": "5",
    "would_recommend": "yes",
    "comment": "Thanks!",
}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def resolve(api, ticket) -> None:
    response = api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "resolved"}, format="json")
    assert response.status_code == 200, response.json()


def survey_path(message) -> str:
    match = re.search(r"http://testserver(/portal/survey/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_resolving_sends_one_invitation_with_a_working_link(
    agent_api, agent, client, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(status="open", assigned_agent=agent, customer_email="jane@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        resolve(agent_api, ticket)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.ticket, invitation.agent, invitation.state) == (ticket, agent, "sent")
    [email] = mail.outbox
    assert email.to == ["jane@example.org"]
    assert "How did we do?" in email.subject
    page = client.get(survey_path(email))
    assert page.status_code == 200
    assert ticket.subject in page.content.decode()


def test_an_answered_survey_is_not_sent_again_after_reopen_and_resolve(
    agent_api, client, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(status="open")
    with django_capture_on_commit_callbacks(execute=True):
        resolve(agent_api, ticket)
    client.post(survey_path(mail.outbox[0]), ANSWER)

    with django_capture_on_commit_callbacks(execute=True):
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "open"}, format="json")
        resolve(agent_api, ticket)

    assert SurveyInvitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_unanswered_survey_is_replaced_on_the_next_resolution(agent_api, client, django_capture_on_commit_callbacks):
    ticket = TicketFactory(status="open")
    with django_capture_on_commit_callbacks(execute=True):
        resolve(agent_api, ticket)
    first_link = survey_path(mail.outbox[0])

    with django_capture_on_commit_callbacks(execute=True):
        agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"status": "open"}, format="json")
        resolve(agent_api, ticket)

    assert SurveyInvitation.objects.count() == 2
    assert len(mail.outbox) == 2
    assert client.get(first_link).status_code == 410  # only the newest link counts
    assert client.get(survey_path(mail.outbox[1])).status_code == 200


def test_a_link_works_once(client):
    invitation = SurveyInvitationFactory()
    url = f"/portal/survey/{survey_token(invitation)}"

    first = client.post(url, ANSWER)
    second = client.post(url, {**ANSWER, "overall": "1"})

    assert first.status_code == 302 and first["Location"] == "/portal/survey/thanks"
    assert second.status_code == 410
    assert "You already answered this survey" in second.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.overall, feedback.speed, feedback.would_recommend, feedback.comment) == (4, 3, True, "Thanks!")
    assert feedback.survey == invitation and feedback.ticket == invitation.ticket


def test_an_expired_link_shows_a_clear_page_and_records_nothing(client, settings):
    invitation = SurveyInvitationFactory()
    url = f"/portal/survey/{survey_token(invitation)}"

    with time_machine.travel(timezone.now() + timedelta(days=settings.SURVEY_EXPIRY_DAYS, seconds=1)):
        shown = client.get(url)
        posted = client.post(url, ANSWER)

    for response in (shown, posted):
        assert response.status_code == 410
        assert "This survey has closed" in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "garbage", lambda t: t.split(":")[0]])
def test_a_tampered_link_shows_a_clear_page_and_records_nothing(client, mangle):
    invitation = SurveyInvitationFactory()
    url = f"/portal/survey/{mangle(survey_token(invitation))}"

    for response in (client.get(url), client.post(url, ANSWER)):
        assert response.status_code == 404
        assert "This survey link is not valid" in response.content.decode()
    assert not Feedback.objects.exists()


def test_the_survey_page_uses_real_radio_groups_with_labels(client):
    page = client.get(f"/portal/survey/{survey_token(SurveyInvitationFactory())}").content.decode()

    assert page.count("<fieldset") >= 5
    assert "<legend>Overall, how satisfied are you with our support?" in page
    assert 'type="radio" name="overall" value="5"' in page
    assert 'name="would_recommend" value="yes"' in page


def test_the_thanks_page(client):
    assert "Thank you!" in client.get("/portal/survey/thanks").content.decode()


def test_survey_states_are_listed_in_the_api(agent_api, client):
    answered = SurveyInvitationFactory()
    client.post(f"/portal/survey/{survey_token(answered)}", ANSWER)
    expired = SurveyInvitationFactory(created_at=timezone.now() - timedelta(days=20))
    sent = SurveyInvitationFactory()

    states = {s["id"]: s["state"] for s in agent_api.get("/api/support/surveys").json()["results"]}
    only_expired = agent_api.get("/api/support/surveys", {"state": "expired"}).json()["results"]

    assert states == {answered.pk: "answered", expired.pk: "expired", sent.pk: "sent"}
    assert [s["id"] for s in only_expired] == [expired.pk]
