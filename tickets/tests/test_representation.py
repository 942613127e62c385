"""The read serializers' hand-written answers (tickets.serializers) are exactly what DRF's
generic ModelSerializer path writes for the same declared fields."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import serializers
from tickets.models import Status
from tickets.tests.factories import AttachmentFactory, MessageFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db

HAND_WRITTEN = [
    serializers.AttachmentSerializer,
    serializers.TicketSerializer,
    serializers.MessageSerializer,
    serializers.TicketDetailSerializer,
]


@pytest.fixture
def tickets(agent, other_agent, category):
    now = timezone.now().replace(microsecond=123456)
    plain = TicketFactory(category=category, created_at=now - timedelta(days=3))
    busy = TicketFactory(
        category=category,
        assigned_agent=other_agent,
        status=Status.RESOLVED,
        priority="urgent",
        external_customer_id="crm-42",
        customer_name="",
        first_responded_at=now - timedelta(hours=5),
        first_response_due_at=now - timedelta(hours=4),
        resolution_due_at=now + timedelta(days=1),
    )
    busy.tags.add(TagFactory(name="vip"), TagFactory(name="billing"))
    AttachmentFactory(ticket=busy, name="screen shot.png", content_type="image/png")
    reply = MessageFactory(ticket=busy, author_agent=other_agent, rating=4, rating_comment="Quick", rated_at=now)
    AttachmentFactory(ticket=busy, message=reply)
    MessageFactory(ticket=busy, internal=True, author_agent=agent, body="Note <b>only</b> for agents")
    MessageFactory(ticket=busy, author_type="customer", author_agent=None)
    return [plain, busy]


def _generic(monkeypatch) -> None:
    for serializer in HAND_WRITTEN:
        monkeypatch.delattr(serializer, "to_representation")


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_list_and_detail_answers_match_the_generic_serializers(agent_api, tickets, monkeypatch, settings, zone):
    settings.TIME_ZONE = zone  # the API writes times in the site's zone
    paths = ["/api/support/tickets", *(f"/api/support/tickets/{ticket.pk}" for ticket in tickets)]
    paths += [f"/api/support/tickets/{tickets[1].pk}/messages"]

    hand_written = [agent_api.get(path).json() for path in paths]
    _generic(monkeypatch)
    generic = [agent_api.get(path).json() for path in paths]

    assert hand_written == generic
    detail = hand_written[2]
    assert detail["tags"] == ["billing", "vip"] and len(detail["messages"]) == 3
    assert detail["attachments"][0]["name"] == "screen shot.png"
    assert detail["messages"][0]["attachments"][0]["url"].endswith(
        f"/attachments/{detail['messages'][0]['attachments'][0]['id']}"
    )
    if zone != "UTC":
        assert not detail["created_at"].endswith("Z")


def test_created_ticket_and_message_answers_match_the_generic_serializers(agent_api, category, tickets, monkeypatch):
    def write():
        ticket = agent_api.post(
            "/api/support/tickets",
            {
                "subject": "Printer",
                "description": "It jams on every page.",
                "customer_email": "c@example.org",
                "category": "general",
                "tags": ["hardware"],
            },
            format="json",
        ).json()
        message = agent_api.post(
            f"/api/support/tickets/{ticket['id']}/messages",
            {"body": "Looking into it", "internal": True},
            format="json",
        ).json()
        return ticket, message

    hand_written = write()
    _generic(monkeypatch)
    generic = write()

    def without_ids(answer: dict) -> dict:
        return {
            k: v
            for k, v in answer.items()
            if k
            not in {
                "id",
                "number",
                "created_at",
                "updated_at",
                "first_response_due_at",
                "resolution_due_at",
                "messages",
            }
        }

    assert [without_ids(a) for a in hand_written] == [without_ids(a) for a in generic]
    assert set(hand_written[0]) == set(generic[0]) and set(hand_written[1]) == set(generic[1])


@pytest.mark.parametrize("reader", ["agent", "integration_user"])
def test_one_ticket_read_by_its_plain_statement_is_what_the_queryset_reads(tickets, reader, request):
    from tickets import selectors

    user = request.getfixturevalue(reader)
    user = getattr(user, "user", user)
    for ticket in tickets:
        plain = selectors.get_ticket_for_user(user, str(ticket.pk), conversation=True)
        orm = selectors.tickets_for_user(user).get(pk=ticket.pk)
        orm.message_list = list(selectors.visible_messages(user).filter(ticket=orm).order_by("created_at", "id"))

        assert serializers.TicketDetailSerializer(plain).data == serializers.TicketDetailSerializer(orm).data
        assert plain.get_deferred_fields() == orm.get_deferred_fields() == {"search_vector"}
        assert (plain.category, plain.assigned_agent) == (orm.category, orm.assigned_agent)
    # An integration does not read internal notes; an agent does.
    assert len(plain.conversation()) == (3 if reader == "agent" else 2)


@pytest.mark.parametrize("pk", ["0", "-3", "abc", "", None, str(2**63), "10" * 20, "999999"])
def test_no_such_ticket_is_a_404_whatever_the_id(agent, pk):
    from django.http import Http404

    from tickets import selectors

    with pytest.raises(Http404):
        selectors.get_ticket_for_user(agent.user, pk)


def test_only_those_who_work_tickets_read_one(tickets):
    from django.http import Http404

    from agents.tests.factories import UserFactory
    from tickets import selectors

    with pytest.raises(Http404):
        selectors.get_ticket_for_user(UserFactory(), tickets[0].pk)
