"""The API's merge and links (issue 24, point 3): /api/support/tickets/{id}/merge and /links."""

from __future__ import annotations

import pytest

from agents.models import Team
from tickets.models import AuthorType, Status, Ticket, TicketLink
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(category):
    ticket = TicketFactory(category=category, customer_email="cleo@example.org", status=Status.OPEN)
    MessageFactory(ticket=ticket, author_type=AuthorType.CUSTOMER, body="Same again.")
    return ticket


@pytest.fixture
def survivor(category):
    return TicketFactory(category=category, customer_email="cleo@example.org", status=Status.OPEN)


def test_it_merges_and_answers_the_ticket_merged_into(agent_api, duplicate, survivor):
    response = agent_api.post(f"/api/support/tickets/{duplicate.pk}/merge", {"into": survivor.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == survivor.pk
    bodies = [message["body"] for message in response.json()["messages"]]
    assert duplicate.description in bodies and "Same again." in bodies
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk


def test_a_refused_merge_is_409_with_the_reason(agent_api, duplicate):
    response = agent_api.post(f"/api/support/tickets/{duplicate.pk}/merge", {"into": duplicate.pk}, format="json")

    assert response.status_code == 409
    assert "itself" in response.json()["detail"]


@pytest.mark.parametrize("into", ["abc", 0, 2**70, None])
def test_a_bad_number_is_400_naming_the_field(agent_api, duplicate, into):
    response = agent_api.post(f"/api/support/tickets/{duplicate.pk}/merge", {"into": into}, format="json")

    assert response.status_code == 400 and "into" in response.json()


def test_a_ticket_the_caller_may_not_see_is_no_ticket(agent_api, duplicate, category):
    secret = TicketFactory(category=category, team=Team.objects.create(name="Legal", restricted=True))

    merge = agent_api.post(f"/api/support/tickets/{duplicate.pk}/merge", {"into": secret.pk}, format="json")
    link = agent_api.post(f"/api/support/tickets/{duplicate.pk}/links", {"ticket": secret.pk}, format="json")

    assert merge.status_code == 400 and merge.json()["into"] == [f"No ticket #{secret.pk} that you can see."]
    assert link.status_code == 400 and "ticket" in link.json()
    assert not TicketLink.objects.exists() and Ticket.objects.get(pk=duplicate.pk).merged_into_id is None


def test_links_are_listed_added_and_removed(agent_api, duplicate, survivor):
    url = f"/api/support/tickets/{duplicate.pk}/links"

    added = agent_api.post(url, {"ticket": survivor.pk}, format="json")
    again = agent_api.post(url, {"ticket": survivor.pk}, format="json")
    itself = agent_api.post(url, {"ticket": duplicate.pk}, format="json")

    assert added.status_code == 201 and again.status_code == 200
    assert added.json() == [{"id": survivor.pk, "subject": survivor.subject, "status": "open"}]
    assert itself.status_code == 400 and "itself" in itself.json()["ticket"][0]
    assert agent_api.get(f"/api/support/tickets/{survivor.pk}/links").json()[0]["id"] == duplicate.pk
    assert agent_api.delete(f"{url}/{survivor.pk}").status_code == 204
    assert agent_api.delete(f"{url}/{survivor.pk}").status_code == 404
    assert agent_api.delete(f"{url}/{'9' * 30}").status_code == 404
    assert not TicketLink.objects.exists()


def test_the_schema_documents_the_new_actions(agent_api):
    schema = agent_api.get("/api/schema/?format=json").json()

    assert "post" in schema["paths"]["/api/support/tickets/{id}/merge/"]
    assert {"get", "post"} <= set(schema["paths"]["/api/support/tickets/{id}/links/"])
    assert "delete" in schema["paths"]["/api/support/tickets/{id}/links/{other}/"]
