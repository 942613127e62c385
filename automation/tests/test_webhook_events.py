"""What a ticket's life tells the webhooks (issue 23, point 4): one outbox row per subscribed
webhook and event, in the change's transaction, keyed by the ticket for their order, with
the documented payloads; never an internal note."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agents.roles import actor_for, customer_actor
from automation.tests.factories import make_trigger
from notifications.models import Channel, Notification
from notifications.webhooks import webhook_create
from sla.scan import sla_scan
from sla.tests.factories import SLAPolicyFactory
from sla.tests.test_scan import NOW, overdue_tickets
from tickets import services
from tickets.models import Ticket


def rows(webhook) -> list[Notification]:
    return list(Notification.objects.filter(channel=Channel.WEBHOOK, recipient=f"webhook:{webhook.pk}").order_by("id"))


def create(category) -> Ticket:
    return services.ticket_create(
        subject="Printer offline",
        description="The office printer stopped answering this morning.",
        customer_email="ann@example.org",
        customer_name="Ann",
        category=category,
        actor=customer_actor("Ann", "ann@example.org"),
        channel="portal",
        tags=["printer"],
    )


@pytest.mark.django_db
def test_a_tickets_life_as_its_webhook_receives_it(category, agent):
    everything = webhook_create(
        name="CRM",
        url="https://crm.example.com/hooks",
        events=["ticket.created", "ticket.updated", "message.created"],
    )
    only_created = webhook_create(name="Stats", url="https://stats.example.com/in", events=["ticket.created"])
    actor = actor_for(agent.user)

    ticket = create(category)
    services.ticket_update(ticket=ticket, actor=actor, priority="high", status="pending")
    services.message_create(ticket=ticket, body="Any news?", actor=customer_actor("Ann", "ann@example.org"))
    services.message_create(ticket=ticket, body="Between us: the printer is dead.", actor=actor, internal=True)

    got = rows(everything)
    assert [row.kind for row in got] == ["ticket.created", "ticket.updated", "message.created", "ticket.updated"]
    assert {row.ordering_key for row in got} == {f"ticket:{ticket.pk}"}
    created = got[0].payload["data"]["ticket"]
    assert created["subject"] == "Printer offline"
    assert created["customer"] == {"email": "ann@example.org", "name": "Ann"}
    assert (created["status"], created["priority"], created["tags"]) == ("new", "normal", ["printer"])
    assert got[1].payload["data"]["changes"] == [
        {"field": "priority", "from": "normal", "to": "high"},
        {"field": "status", "from": "new", "to": "pending"},
    ]
    message = got[2].payload["data"]["message"]
    assert (message["body"], message["author_type"], message["internal"]) == ("Any news?", "customer", False)
    # The customer's message reopened the ticket: that change follows its message.
    assert got[3].payload["data"]["changes"] == [{"field": "status", "from": "pending", "to": "open"}]
    assert "Between us" not in str([row.payload for row in got])
    assert [row.kind for row in rows(only_created)] == ["ticket.created"]


@pytest.mark.django_db
def test_nothing_is_queued_when_the_change_rolls_back(category, agent):
    from django.db import transaction

    webhook = webhook_create(name="CRM", url="https://crm.example.com/hooks", events=["ticket.updated"])
    ticket = create(category)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_update(ticket=ticket, actor=actor_for(agent.user), priority="high")
        raise RuntimeError("failed after the change")
    assert rows(webhook) == []


@pytest.mark.django_db
def test_a_trigger_calls_a_webhook_that_subscribes_to_nothing(category):
    webhook = webhook_create(name="Pager", url="https://pager.example.com/in", events=[])
    make_trigger(["ticket.created"], [("priority", "is", "urgent")], [("call_webhook", str(webhook.pk))], name="Page")

    ticket = services.ticket_create(
        subject="Everything is down",
        description="Nothing works since the update at noon.",
        customer_email="ann@example.org",
        category=category,
        actor=customer_actor("Ann", "ann@example.org"),
        channel="portal",
        priority="urgent",
    )

    (row,) = rows(webhook)
    assert row.kind == "trigger.fired"
    assert row.payload["data"]["by"] == {"type": "trigger", "name": "Page"}
    assert row.payload["data"]["ticket"]["id"] == ticket.pk


@pytest.mark.django_db(transaction=True)
def test_an_sla_violation_reaches_its_webhook_once(category):
    webhook = webhook_create(name="Ops", url="https://ops.example.com/sla", events=["sla.violation"])
    (ticket,) = overdue_tickets(1, category=category, policy=SLAPolicyFactory())

    sla_scan(now=NOW)
    sla_scan(now=NOW + timedelta(minutes=1))

    got = rows(webhook)
    assert sorted(row.payload["data"]["violation"]["kind"] for row in got) == ["first_response", "resolution"]
    assert {row.kind for row in got} == {"sla.violation"}
    assert {row.payload["data"]["ticket"]["id"] for row in got} == {ticket.pk}
