"""Macros (issue 23, point 3): who is offered which, the preview that writes nothing, and
applying one: the reply and the actions in one transaction, as the agent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404

from agents.models import Team
from agents.roles import actor_for
from automation import macros as service
from automation.macros import macro_apply, macro_preview, macros_for, offered_macro
from automation.tests.factories import make_macro
from notifications.models import Notification
from tickets.models import EventKind, Message, Ticket, TicketEvent
from tickets.services import TicketClosed
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

REFUND = [("add_tags", "refund"), ("set_status", "pending")]


def names(macros) -> list[str]:
    return [macro.name for macro in macros]


def test_an_agent_is_offered_shared_their_teams_and_their_own_macros(agent, other_agent, category):
    billing = Team.objects.create(name="Billing")
    billing.members.add(agent)
    vault = Team.objects.create(name="Vault")
    vault.members.add(other_agent)
    make_macro("Everyone's")
    make_macro("Billing's", team=billing)
    make_macro("Vault's", team=vault)
    make_macro("Mine", owner=agent)
    make_macro("Otto's", owner=other_agent)
    make_macro("Retired", active=False)

    assert names(macros_for(agent)) == ["Billing's", "Everyone's", "Mine"]
    assert names(macros_for(other_agent)) == ["Everyone's", "Otto's", "Vault's"]
    assert names(macros_for(None)) == ["Everyone's"]


def test_the_tickets_category_comes_first(agent, category):
    billing = CategoryFactory(slug="billing", name="Billing")
    make_macro("A general one")
    make_macro("Z refund", category=billing)
    ticket = TicketFactory(category=billing)

    assert names(macros_for(agent, ticket)) == ["Z refund", "A general one"]
    assert names(macros_for(agent)) == ["A general one", "Z refund"]


def test_a_macro_not_offered_is_not_found(agent, other_agent):
    theirs = make_macro("Otto's", owner=other_agent)
    retired = make_macro("Retired", active=False)

    for pk in (theirs.pk, retired.pk, 2**40, "x"):
        with pytest.raises(Http404):
            offered_macro(agent, pk)
    assert offered_macro(other_agent, theirs.pk) == theirs


def counts() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM tickets_ticketevent), (SELECT count(*) FROM tickets_message),"
            " (SELECT count(*) FROM notifications_notification), (SELECT count(*) FROM tickets_ticket_tags),"
            " (SELECT max(updated_at) FROM tickets_ticket)"
        )
        return cursor.fetchone()


def test_the_preview_says_what_would_change_and_writes_nothing(agent, other_agent, category):
    billing = Team.objects.create(name="Billing")
    billing.members.add(other_agent)
    ticket = TicketFactory(category=category, status="new", customer_name="Jane Roe", subject="Refund please")
    ticket.tags.create(name="old")
    macro = make_macro(
        "Refund approved",
        reply="Hi {customer_name}, {agent_name} here: refunded.",
        actions=[
            ("add_tags", "refund"),
            ("remove_tags", "old"),
            ("set_status", "pending"),
            ("set_priority", "high"),
            ("set_team", "Billing"),
            ("set_assignee", "other"),
            ("add_note", "", "", "Refund of {ticket_number} approved"),
            ("email_customer", "", "About {subject}", "Body"),
        ],
    )
    before = counts()

    preview = macro_preview(macro=macro, ticket=ticket, agent=agent)

    assert counts() == before
    assert preview["reply"] == "Hi Jane Roe, Agnes Agent here: refunded."
    assert preview["changes"] == [
        "Status: New → Pending (waiting on customer)",
        "Priority: Normal → High",
        "Team: none → Billing",
        "Tags: + refund, - old",
        "Assignee: nobody → Otto Other",
        f"Internal note: Refund of #{ticket.pk} approved",
        "Email to the customer: About Refund please",
    ]
    assert preview["refused"] == []


def test_the_preview_names_what_would_be_refused(agent, other_agent):
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent)
    resolved = TicketFactory(status="resolved", team=vault)
    macro = make_macro("Chase", actions=[("set_status", "pending"), ("set_assignee", "other")])

    preview = macro_preview(macro=macro, ticket=resolved, agent=agent)

    assert preview["changes"] == []
    assert preview["refused"] == [
        "Status: Resolved → Pending (waiting on customer) is not allowed; the status stays Resolved.",
        "Assignee → Otto Other: A resolved ticket cannot be assigned; reopen it first.",
    ]
    opened = TicketFactory(status="open", team=vault)
    [refusal] = macro_preview(macro=macro, ticket=opened, agent=agent)["refused"]
    assert refusal.startswith("Assignee → Otto Other: Otto Other is not a member of this ticket's restricted team")
    closed = TicketFactory(status="closed")
    assert macro_preview(macro=macro, ticket=closed, agent=agent)["refused"] == [
        "The ticket is closed: it takes no reply and no changes."
    ]


def test_applying_sends_the_reply_and_does_the_actions_as_the_agent(agent, category):
    ticket = TicketFactory(category=category, status="new", customer_name="Jane Roe")
    macro = make_macro("Refund approved", reply="Hi {customer_name}, refunded. {agent_name}", actions=REFUND)

    applied = macro_apply(macro=macro, ticket=ticket, actor=actor_for(agent.user))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tag_names()) == ("pending", ["refund"])
    reply = Message.objects.get(ticket=ticket)
    assert (reply.body, reply.internal, reply.author_agent, reply.author_type) == (
        "Hi Jane Roe, refunded. Agnes Agent",
        False,
        agent,
        "agent",
    )
    assert applied.message == reply
    assert applied.done == ["Status: New → Pending (waiting on customer)", "Tags: + refund"]
    lines = list(
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("id")
        .values_list("kind", "actor_type", "actor_name", "new_value")
    )
    assert lines[0] == (EventKind.AUTOMATION, "agent", "Agnes Agent", "macro Refund approved")
    assert (EventKind.REPLY, "agent", "Agnes Agent", f"message {reply.pk}") in lines
    assert (EventKind.TAGS, "agent", "Agnes Agent", "refund") in lines
    assert (EventKind.STATUS, "agent", "Agnes Agent", "pending") in lines
    # The customer is emailed the reply, as for any reply of the agent's.
    assert Notification.objects.filter(kind="ticket.agent_reply", recipient=ticket.customer_email).exists()


def test_an_edited_reply_is_sent_as_edited_and_an_empty_one_not_at_all(agent):
    ticket = TicketFactory(status="open")
    macro = make_macro("Thanks", reply="Thanks, {customer_name}!")

    macro_apply(macro=macro, ticket=ticket, actor=actor_for(agent.user), reply_text="Thank you very much.")
    macro_apply(macro=macro, ticket=ticket, actor=actor_for(agent.user), reply_text="  ")

    assert list(Message.objects.filter(ticket=ticket).values_list("body", flat=True)) == ["Thank you very much."]
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION).count() == 2


def test_a_failing_action_rolls_the_reply_back(agent, monkeypatch):
    ticket = TicketFactory(status="open")
    macro = make_macro("Refund approved", reply="Refunded.", actions=REFUND)
    real = service.apply_actions

    def fails_after_doing_its_work(**kwargs):
        real(**kwargs)
        raise RuntimeError("the mail server refused the outbox row")

    monkeypatch.setattr(service, "apply_actions", fails_after_doing_its_work)
    events = TicketEvent.objects.count()

    with pytest.raises(RuntimeError):
        macro_apply(macro=macro, ticket=ticket, actor=actor_for(agent.user))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tag_names()) == ("open", [])
    assert not Message.objects.filter(ticket=ticket).exists()
    assert TicketEvent.objects.count() == events
    assert not Notification.objects.filter(recipient=ticket.customer_email).exists()


def test_a_closed_ticket_refuses_the_macro(agent):
    ticket = TicketFactory(status="closed")
    macro = make_macro("Thanks", reply="Thanks!", actions=[("add_tags", "x")])

    with pytest.raises(TicketClosed):
        macro_apply(macro=macro, ticket=ticket, actor=actor_for(agent.user))

    assert not TicketEvent.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(pk=ticket.pk).tag_names() == []


def test_a_refused_status_is_skipped_and_said_so(agent):
    ticket = TicketFactory(status="resolved")
    macro = make_macro("Park it", actions=[("set_status", "pending"), ("set_priority", "high")])

    applied = macro_apply(macro=macro, ticket=ticket, actor=actor_for(agent.user))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("resolved", "high")
    assert applied.done == ["Priority: Normal → High"]
    assert applied.skipped == ["status resolved → pending is not allowed"]
