"""Issue 19, point 9: the API's messages say where they came from and, for an email, its
envelope (from, to, cc, date); the OpenAPI document describes both."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    ticket = TicketFactory(customer_email="jane@example.org", channel="email")
    MessageFactory(ticket=ticket, author_type="agent", source="agent", body="We are looking into it.")
    MessageFactory(
        ticket=ticket,
        author_type="customer",
        source="email",
        body="Thanks, it works now.",
        email_from="jane@example.org",
        email_to="support@example.com, billing@example.com",
        email_cc="boss@example.org",
        email_date=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        body_html="<p>Thanks, it works now.</p>",
    )
    return ticket


def test_messages_carry_their_source_and_an_emails_envelope(agent_api, ticket):
    detail = agent_api.get(f"/api/support/tickets/{ticket.pk}").json()
    listed = agent_api.get(f"/api/support/tickets/{ticket.pk}/messages").json()["results"]

    for messages in (detail["messages"], listed):
        by_agent, by_email = messages
        assert by_agent["source"] == "agent" and by_agent["email"] is None
        assert by_email["source"] == "email"
        assert by_email["email"] == {
            "from": "jane@example.org",
            "to": ["support@example.com", "billing@example.com"],
            "cc": ["boss@example.org"],
            "date": "2026-03-01T09:30:00Z",
        }
    # The sanitized HTML is for the workspace's eyes; the API gives the text.
    assert "body_html" not in detail["messages"][1]


def test_the_envelope_is_read_only(agent_api, ticket):
    response = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages",
        {"body": "From the API", "source": "email", "email": {"from": "forged@example.org"}},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["source"] == "agent"  # who wrote it, not what the body claims
    assert response.json()["email"] is None


def test_an_email_without_a_date_header_has_a_null_date(agent_api):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, author_type="customer", source="email", email_from="a@example.org")

    message = agent_api.get(f"/api/support/tickets/{ticket.pk}").json()["messages"][0]

    assert message["email"] == {"from": "a@example.org", "to": [], "cc": [], "date": None}


def test_the_openapi_document_describes_source_and_email(client):
    document = yaml.safe_load(client.get("/api/schema/").content)
    schemas = document["components"]["schemas"]

    message = schemas["Message"]["properties"]
    assert set(message["source"]["allOf"][0].values()) == {"#/components/schemas/SourceEnum"}
    assert set(schemas["SourceEnum"]["enum"]) == {"portal", "email", "api", "agent", "system"}
    assert message["email"]["readOnly"] is True
    assert message["email"]["nullable"] is True
    origin = schemas[message["email"]["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert list(origin["properties"]) == ["from", "to", "cc", "date"]
    assert origin["properties"]["to"]["type"] == "array"
    assert origin["properties"]["date"]["nullable"] is True


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_the_hand_written_answer_matches_the_generic_serializer(agent_api, ticket, monkeypatch, settings, zone):
    from tickets import serializers

    settings.TIME_ZONE = zone
    paths = [f"/api/support/tickets/{ticket.pk}", f"/api/support/tickets/{ticket.pk}/messages"]
    hand_written = [agent_api.get(path).json() for path in paths]
    hand_written_ones = [
        serializers.AttachmentSerializer,
        serializers.TicketSerializer,
        serializers.MessageSerializer,
        serializers.TicketDetailSerializer,
    ]
    for serializer in hand_written_ones:
        monkeypatch.delattr(serializer, "to_representation")
    generic = [agent_api.get(path).json() for path in paths]

    assert hand_written == generic
    assert hand_written[0]["messages"][1]["email"]["cc"] == ["boss@example.org"]
