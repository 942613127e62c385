"""Triggers (issue 23, point 1): events, conditions, actions, history, the chain's limits,
and the transaction they run in."""

from __future__ import annotations

import pytest
from django.db import transaction

from agents.models import Team
from agents.roles import actor_for, customer_actor
from automation.tests.factories import make_trigger
from notifications.models import Channel, Notification
from tickets import services
from tickets.models import EventKind, Ticket, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def create(category, email="ann@example.org", subject="Printer offline", **kwargs) -> Ticket:
    return services.ticket_create(
        subject=subject,
        description="The office printer stopped answering this morning.",
        customer_email=email,
        category=category,
        actor=customer_actor("Ann", email),
        channel="portal",
        customer_name="Ann",
        **kwargs,
    )


def test_mail_from_a_domain_goes_to_a_team_as_high_priority(category):
    enterprise = Team.objects.create(name="Enterprise")
    make_trigger(
        ["ticket.created"],
        [("customer_domain", "is", "bigcustomer.com")],
        [("set_team", "Enterprise"), ("set_priority", "high"), ("add_tags", "vip, enterprise")],
        name="Big customer",
    )

    ticket = create(category, email="cto@BigCustomer.com")
    other = create(category, email="someone@example.org")

    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.priority) == (enterprise.pk, "high")
    assert sorted(ticket.tag_names()) == ["enterprise", "vip"]
    other.refresh_from_db()
    assert (other.team_id, other.priority) == (None, "normal")
    lines = list(
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("kind", "actor_type", "actor_name", "new_value")
    )
    assert (EventKind.AUTOMATION, "trigger", "Big customer", "trigger Big customer") in lines
    assert (EventKind.PRIORITY, "trigger", "Big customer", "high") in lines
    assert not TicketEvent.objects.filter(ticket=other, kind=EventKind.AUTOMATION).exists()


def test_all_and_any_conditions(category):
    make_trigger(
        ["ticket.created"],
        [
            ("all", "subject", "contains", "REFUND"),
            ("any", "priority", "is", "urgent"),
            ("any", "channel", "is", "email"),
        ],
        [("add_tags", "refund")],
    )
    normal_portal = create(category, subject="Refund please")
    urgent = create(category, subject="refund now", priority="urgent")
    no_word = create(category, subject="Printer", priority="urgent")

    assert [t.tag_names() for t in (normal_portal, urgent, no_word)] == [[], ["refund"], []]


def test_a_field_changed_to_a_value(category, agent):
    make_trigger(
        ["ticket.updated"],
        [("priority", "changed_to", "urgent")],
        [("add_note", "", "", "Urgent now: {customer_name} is waiting on {ticket_number}.")],
    )
    ticket = create(category)
    actor = actor_for(agent.user)
    services.ticket_update(ticket=ticket, actor=actor, priority="high")
    assert not ticket.messages.filter(internal=True).exists()

    services.ticket_update(ticket=ticket, actor=actor, priority="urgent")

    note = ticket.messages.get(internal=True)
    assert note.body == f"Urgent now: Ann is waiting on #{ticket.pk}."
    assert note.author_type == "system"


def test_a_customer_message_reopens_and_the_trigger_sees_its_text(category, agent):
    make_trigger(["message.customer"], [("body", "contains", "cancel")], [("set_priority", "urgent")])
    ticket = create(category)
    services.message_create(ticket=ticket, body="Thanks, all good", actor=customer_actor("Ann", "ann@example.org"))
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"

    services.message_create(
        ticket=ticket, body="I want to CANCEL my plan", actor=customer_actor("Ann", "ann@example.org")
    )

    assert Ticket.objects.get(pk=ticket.pk).priority == "urgent"


def test_two_triggers_that_undo_each_other_fire_once_each_and_stop(category, agent):
    up = make_trigger(
        ["ticket.updated"], [("priority", "is", "normal")], [("set_priority", "high")], name="Up", position=1
    )
    down = make_trigger(
        ["ticket.updated"], [("priority", "is", "high")], [("set_priority", "normal")], name="Down", position=2
    )
    ticket = create(category)

    services.ticket_update(ticket=ticket, actor=actor_for(agent.user), subject="Printer offline again")

    fired = list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION)
        .order_by("id")
        .values_list("actor_name", flat=True)
    )
    assert fired == [up.name, down.name]
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


def test_a_chain_of_triggers_stops_at_the_configured_depth(category, agent, settings):
    settings.AUTOMATION_TRIGGER_DEPTH = 3
    # Each trigger fires the next, through its own change: tag t0 → t1 → t2 → ... → t6. They
    # are ordered last first, so that none fires in the pass of the change before it.
    for n in range(6):
        make_trigger(["ticket.updated"], [("tags", "includes", f"t{n}")], [("add_tags", f"t{n + 1}")], position=10 - n)
    ticket = create(category)

    services.ticket_update(ticket=ticket, actor=actor_for(agent.user), tags=["t0"])

    assert Ticket.objects.get(pk=ticket.pk).tag_names() == ["t0", "t1", "t2", "t3"]


def test_triggers_run_in_the_changes_transaction(category, agent):
    make_trigger(
        ["ticket.updated"],
        [("status", "changed_to", "pending")],
        [("email_customer", "", "We are waiting on you", "Hello {customer_name}, we need your answer.")],
    )
    ticket = create(category)
    before = Notification.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_update(ticket=ticket, actor=actor_for(agent.user), status="pending")
        assert Notification.objects.filter(kind="automation.email").count() == 1
        raise RuntimeError("the request failed after the change")

    assert Notification.objects.count() == before
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION).exists()

    services.ticket_update(ticket=ticket, actor=actor_for(agent.user), status="pending")
    email = Notification.objects.get(kind="automation.email")
    assert (email.channel, email.recipient) == (Channel.EMAIL, "ann@example.org")
    assert email.payload["subject"].endswith("We are waiting on you")
    assert "Hello Ann, we need your answer." in email.payload["text"]


def test_an_inactive_trigger_and_one_of_another_event_do_nothing(category):
    make_trigger(["ticket.created"], [], [("set_priority", "urgent")], active=False)
    make_trigger(["ticket.updated"], [], [("set_priority", "low")])
    assert create(category).priority == "normal"


def test_a_trigger_setting_an_illegal_status_skips_it_and_does_the_rest(category):
    make_trigger(["ticket.created"], [], [("set_status", "closed"), ("add_tags", "seen")])
    ticket = create(category)
    assert (Ticket.objects.get(pk=ticket.pk).status, ticket.tag_names()) == ("new", ["seen"])


def test_notify_in_app_reaches_the_team_members_who_may_see(category, agent, other_agent):
    team = Team.objects.create(name="Billing")
    team.members.add(agent)
    make_trigger(
        ["ticket.created"], [("team", "is", "billing")], [("notify", "team", "", "New billing ticket {ticket_number}")]
    )
    category.team = team
    category.save()

    ticket = create(category)

    notice = Notification.objects.get(kind="automation.notice")
    assert (notice.user_id, notice.payload["title"]) == (agent.user_id, f"New billing ticket #{ticket.pk}")


def test_webhook_free_tickets_cost_no_trigger_query_when_nobody_listens(category, agent, django_assert_max_num_queries):
    make_trigger(["ticket.created"], [], [("set_priority", "high")])
    ticket = TicketFactory(category=category)
    actor = actor_for(agent.user)
    services.ticket_update(ticket=ticket, actor=actor, subject="warm the caches")
    with django_assert_max_num_queries(12) as captured:
        services.ticket_update(ticket=ticket, actor=actor, subject="Printer offline again")
    assert not any("automation_trigger" in query["sql"] for query in captured.captured_queries)
