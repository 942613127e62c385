"""Issue 24, point 1: one ticket's part of a bulk change (tickets.bulk), through the services a
single change calls: the state machine, assignment's capacity and restricted teams, history."""

from __future__ import annotations

import pytest
from django.db import transaction

from agents.models import Team
from agents.roles import actor_for
from agents.tests.factories import AgentFactory
from core.refusals import Refusal
from tickets.bulk import NOBODY, BulkChanges, TicketHidden, bulk_targets, ticket_bulk_change
from tickets.models import EventKind, Ticket, TicketEvent
from tickets.tests.factories import CategoryFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db


def change(ticket, changes: BulkChanges, agent) -> bool:
    with transaction.atomic():
        return ticket_bulk_change(
            ticket_id=ticket.pk,
            changes=changes,
            targets=bulk_targets(changes),
            user=agent.user,
            actor=actor_for(agent.user),
        )


def test_it_changes_priority_category_team_and_assignee_with_the_agent_in_the_history(agent, other_agent):
    billing = CategoryFactory(slug="billing", name="Billing")
    team = Team.objects.create(name="Tier 2")
    team.members.add(other_agent)
    ticket = TicketFactory(status="open")
    changes = BulkChanges(priority="high", category="billing", team=str(team.pk), assignee=str(other_agent.pk))

    assert change(ticket, changes, agent) is True

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.category, ticket.team, ticket.assigned_agent) == (
        "high",
        billing,
        team,
        other_agent,
    )
    events = {event.kind: event for event in TicketEvent.objects.filter(ticket=ticket)}
    assert set(events) >= {EventKind.PRIORITY, EventKind.CATEGORY, EventKind.TEAM, EventKind.ASSIGNEE}
    assert {event.actor_name for event in events.values()} == {"Agnes Agent"}
    assert (events[EventKind.PRIORITY].old_value, events[EventKind.PRIORITY].new_value) == ("normal", "high")


def test_it_adds_and_removes_tags_keeping_the_others(agent):
    ticket = TicketFactory(status="open")
    ticket.tags.set([TagFactory(name="vip"), TagFactory(name="refund")])

    assert change(ticket, BulkChanges(add_tags=("urgent", "vip"), remove_tags=("refund", "absent")), agent) is True

    assert sorted(ticket.tags.values_list("name", flat=True)) == ["urgent", "vip"]
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAGS)
    assert (event.old_value, event.new_value) == ("refund, vip", "urgent, vip")


def test_a_ticket_already_as_asked_is_unchanged_and_gets_no_history(agent):
    ticket = TicketFactory(status="open", priority="high")

    assert change(ticket, BulkChanges(priority="high", remove_tags=("none-here",)), agent) is False
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_an_illegal_status_move_is_refused_by_the_state_machine(agent):
    ticket = TicketFactory(status="new")

    with pytest.raises(Refusal) as refused:
        change(ticket, BulkChanges(status="closed"), agent)

    assert "closed" in str(refused.value).lower()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_a_closed_ticket_refuses_any_change(agent):
    ticket = TicketFactory(status="closed")

    with pytest.raises(Refusal, match="closed"):
        change(ticket, BulkChanges(priority="urgent"), agent)
    with pytest.raises(Refusal):
        change(ticket, BulkChanges(assignee=str(agent.pk)), agent)


def test_an_agent_at_capacity_is_refused_and_the_ticket_keeps_its_other_fields(agent):
    full = AgentFactory(name="Fiona Full", max_tickets=1)
    TicketFactory(status="open", assigned_agent=full)
    ticket = TicketFactory(status="open")

    with pytest.raises(Refusal, match="Fiona Full already has 1 open tickets of 1"):
        change(ticket, BulkChanges(priority="high", assignee=str(full.pk)), agent)

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assigned_agent) == ("normal", None)  # the whole ticket rolled back
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_resolving_and_assigning_assigns_first_then_resolves(agent, other_agent):
    ticket = TicketFactory(status="open")

    assert change(ticket, BulkChanges(status="resolved", assignee=str(other_agent.pk)), agent) is True

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_agent) == ("resolved", other_agent)


def test_reopening_and_assigning_reopens_first(agent, other_agent):
    ticket = TicketFactory(status="resolved")

    assert change(ticket, BulkChanges(status="open", assignee=str(other_agent.pk)), agent) is True

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_agent) == ("open", other_agent)


def test_unassigning_and_removing_the_team(agent):
    team = Team.objects.create(name="Tier 2")
    team.members.add(agent)
    ticket = TicketFactory(status="open", team=team, assigned_agent=agent)

    assert change(ticket, BulkChanges(team=NOBODY, assignee=NOBODY), agent) is True

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assigned_agent) == (None, None)


def test_a_restricted_teams_ticket_the_agent_may_not_see_is_not_touched(agent):
    vault = Team.objects.create(name="Vault", restricted=True)
    secret = TicketFactory(status="open", team=vault)

    with pytest.raises(TicketHidden):
        change(secret, BulkChanges(priority="urgent"), agent)

    assert Ticket.objects.get(pk=secret.pk).priority == "normal"
    assert not TicketEvent.objects.filter(ticket=secret).exists()


def test_the_changes_survive_their_json(agent):
    changes = BulkChanges(status="pending", team=NOBODY, add_tags=("a", "b"))

    assert BulkChanges.from_json(changes.as_json()) == changes
    assert BulkChanges().is_empty() and not changes.is_empty()
