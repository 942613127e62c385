"""A ticket's team: routed on creation, changed by agents with a history event, and the
members among whom auto-assignment picks, inside the team's hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation

from agents.models import Team
from agents.roles import SYSTEM
from agents.tests.factories import AgentFactory
from mail.ingest import ingest
from mail.models import Mailbox
from mail.tests.test_admin import raw_email
from sla.tests.factories import BusinessCalendarFactory
from tickets import services
from tickets.assignment import candidate_agents, ticket_auto_assign
from tickets.event_words import value_words
from tickets.models import EventKind, Ticket, TicketEvent
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

# Monday 2026-11-30: 11:00 in Berlin at 10:00 UTC, 20:00 in Berlin at 19:00 UTC.
MONDAY_10_UTC = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
MONDAY_19_UTC = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
TICKET = {"subject": "Refund", "description": "Please refund my last invoice.", "customer_email": "c@example.org"}


@pytest.fixture
def billing(db):
    return Team.objects.create(name="Billing")


@pytest.fixture
def technical(db):
    return Team.objects.create(name="Technical")


@pytest.fixture
def invoices(billing):
    return CategoryFactory(slug="invoices", name="Invoices", team=billing)


def create(category, **fields):
    return services.ticket_create(
        **{**TICKET, **fields}, category=category, actor=SYSTEM, channel="api", auto_assign=False
    )


# --- Routing on creation ----------------------------------------------------------------------


def test_a_new_ticket_goes_to_its_categorys_team_and_the_history_says_so(invoices, billing):
    ticket = create(invoices)

    assert ticket.team == billing
    event = ticket.events.get(kind=EventKind.TEAM)
    assert (event.old_value, event.new_value) == ("", "Billing")


def test_a_category_without_a_team_leaves_the_ticket_without_one(category):
    ticket = create(category)

    assert ticket.team is None
    assert not ticket.events.filter(kind=EventKind.TEAM).exists()


def test_the_caller_may_name_another_team_or_none(invoices, technical):
    assert create(invoices, team=technical).team == technical
    assert create(invoices, team=None).team is None


def test_mail_goes_to_the_mailboxs_team_before_the_categorys(settings, invoices, technical):
    settings.TICKETS_AUTO_ASSIGN = False
    values = {"host": "imap.example.com", "username": "s@example.com", "password_env": "P", "category": invoices}
    routed = Mailbox.objects.create(name="Tech inbox", team=technical, **values)
    unrouted = Mailbox.objects.create(name="Billing inbox", **values)

    by_mailbox = ingest(raw_email(uid="a"), route="imap", mailbox=routed).ticket
    by_category = ingest(raw_email(uid="b", subject="Another"), route="imap", mailbox=unrouted).ticket

    assert by_mailbox.team == technical
    assert by_category.team == invoices.team


def test_the_api_creates_a_ticket_in_the_team_it_names(agent_api, invoices, technical):
    named = agent_api.post("/api/support/tickets", {**TICKET, "category": "invoices", "team": technical.pk})
    routed = agent_api.post("/api/support/tickets", {**TICKET, "category": "invoices"}, format="json")
    unknown = agent_api.post("/api/support/tickets", {**TICKET, "category": "invoices", "team": 999999})

    assert named.status_code == 201
    assert (named.json()["team"], named.json()["team_name"]) == (technical.pk, "Technical")
    assert routed.json()["team"] == invoices.team_id
    assert unknown.status_code == 400
    assert "team" in unknown.json()


# --- Changing the team --------------------------------------------------------------------------


def test_an_agent_moves_a_ticket_to_another_team_with_a_history_event(agent_api, invoices, billing, technical):
    ticket = create(invoices)

    response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"team": technical.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["team"] == technical.pk
    event = ticket.events.filter(kind=EventKind.TEAM).latest("id")
    assert (event.actor_type, event.old_value, event.new_value) == ("agent", "Billing", "Technical")
    history = agent_api.get(f"/api/support/tickets/{ticket.pk}/history").json()["results"]
    # A new team may pick another SLA policy: its due-times event follows the team's.
    (team_event,) = [row for row in history if row["kind"] == "team" and row["old_value"]]
    assert (team_event["old_value"], team_event["new_value"]) == ("Billing", "Technical")


def test_the_history_reads_a_team_event_in_words(agent, invoices):
    with translation.override("en"):
        assert value_words(EventKind.TEAM, "Billing") == "Billing"
        assert value_words(EventKind.TEAM, "") == "no team"
    with translation.override("ru"):
        assert value_words(EventKind.TEAM, "") != ""


def test_a_bad_team_on_a_change_is_a_400_naming_it(agent_api, invoices):
    ticket = create(invoices)

    for value in (999999, "billing", [1]):
        response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"team": value}, format="json")
        assert response.status_code == 400
        assert "team" in response.json()


def test_a_new_category_does_not_move_the_ticket_to_another_team(agent_api, invoices, billing, technical):
    CategoryFactory(slug="bugs", team=technical)
    ticket = create(invoices)

    agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"category": "bugs"}, format="json")

    ticket.refresh_from_db()
    assert ticket.team == billing


def test_an_assignee_outside_the_new_team_is_unassigned(agent, other_agent, invoices, billing, technical):
    technical.members.add(other_agent)
    kept = create(invoices)
    dropped = create(invoices)
    Ticket.objects.filter(pk=kept.pk).update(assigned_agent=other_agent)
    Ticket.objects.filter(pk=dropped.pk).update(assigned_agent=agent)
    actor = SYSTEM

    kept = services.ticket_update(ticket=kept, actor=actor, team=technical)
    dropped = services.ticket_update(ticket=dropped, actor=actor, team=technical)

    assert kept.assigned_agent == other_agent
    assert dropped.assigned_agent is None
    unassigned = dropped.events.get(kind=EventKind.ASSIGNEE)
    assert (unassigned.old_value, unassigned.new_value) == (agent.name, "")


def test_leaving_no_team_keeps_the_assignee(agent, invoices):
    ticket = create(invoices)
    Ticket.objects.filter(pk=ticket.pk).update(assigned_agent=agent)

    ticket = services.ticket_update(ticket=ticket, actor=SYSTEM, team=None)

    assert (ticket.team, ticket.assigned_agent) == (None, agent)
    assert ticket.events.filter(kind=EventKind.TEAM).latest("id").new_value == ""


def test_naming_the_same_team_records_nothing(invoices, billing):
    ticket = create(invoices)

    services.ticket_update(ticket=ticket, actor=SYSTEM, team=billing)

    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TEAM).count() == 1  # the routing


# --- Auto-assignment among the team's members, inside its hours ---------------------------------


def test_auto_assignment_picks_only_among_the_teams_members(invoices, billing):
    outsider = AgentFactory(name="Outsider", specializations=[invoices])
    member = AgentFactory(name="Member", specializations=[invoices])
    billing.members.add(member)
    for _ in range(3):  # the outsider is the least loaded, yet never picked
        TicketFactory(category=invoices, assigned_agent=member, status="open")

    ticket = create(invoices)

    assert [a.name for a in candidate_agents(ticket=ticket, now=datetime.now(UTC))] == ["Member"]
    assert ticket_auto_assign(ticket=ticket, actor=SYSTEM) == member
    assert not Ticket.objects.filter(assigned_agent=outsider).exists()


def test_members_still_need_the_skill_the_capacity_and_to_be_at_work(invoices, billing, category):
    unskilled = AgentFactory(name="Unskilled", specializations=[category])
    full = AgentFactory(name="Full", max_tickets=1, specializations=[invoices])
    away = AgentFactory(name="Away", status="away", specializations=[invoices])
    off_shift = AgentFactory(name="Off shift", working_hours={}, specializations=[invoices])
    billing.members.add(unskilled, full, away, off_shift)
    TicketFactory(category=invoices, assigned_agent=full, status="open")

    ticket = create(invoices)

    assert candidate_agents(ticket=ticket, now=datetime.now(UTC)) == []
    assert ticket_auto_assign(ticket=ticket, actor=SYSTEM) is None


def test_a_ticket_without_a_team_goes_to_any_skilled_agent(category):
    anyone = AgentFactory(specializations=[category])

    ticket = create(category)

    assert ticket_auto_assign(ticket=ticket, actor=SYSTEM) == anyone


@pytest.mark.parametrize(("moment", "assigned"), [(MONDAY_10_UTC, True), (MONDAY_19_UTC, False)])
def test_a_team_with_business_hours_is_given_tickets_only_inside_them(invoices, billing, moment, assigned):
    billing.calendar = BusinessCalendarFactory(timezone="Europe/Berlin")  # Monday-Friday 09:00-17:00
    billing.save()
    member = AgentFactory(specializations=[invoices])  # works around the clock
    billing.members.add(member)

    with time_machine.travel(moment, tick=False):
        ticket = create(invoices)
        result = ticket_auto_assign(ticket=ticket, actor=SYSTEM)

    assert result == (member if assigned else None)


def test_auto_assignment_on_creation_follows_the_routed_team(settings, invoices, billing):
    AgentFactory(name="Outsider", specializations=[invoices])
    member = AgentFactory(name="Member", specializations=[invoices])
    billing.members.add(member)

    ticket = services.ticket_create(**TICKET, category=invoices, actor=SYSTEM, channel="api", auto_assign=True)

    assert ticket.assigned_agent == member


def test_the_ticket_list_filters_by_team(agent_api, invoices, billing, technical, category):
    create(invoices, subject="Billing")
    create(invoices, subject="Technical", team=technical)
    create(category, subject="Nobody's")

    def subjects(query: str) -> list[str]:
        response = agent_api.get(f"/api/support/tickets?{query}")
        assert response.status_code == 200, response.json()
        return sorted(ticket["subject"] for ticket in response.json()["results"])

    assert subjects(f"team={technical.pk}") == ["Technical"]
    assert subjects("no_team=true") == ["Nobody's"]
    assert agent_api.get("/api/support/tickets?team=abc").status_code == 400
    assert "team" in agent_api.get("/api/support/tickets?team=abc").json()


def test_moving_a_ticket_into_a_restricted_team_one_is_not_in_answers_the_ticket_as_changed(
    agent, agent_api, invoices, billing
):
    vault = Team.objects.create(name="Security", restricted=True)
    ticket = create(invoices)

    response = agent_api.patch(f"/api/support/tickets/{ticket.pk}", {"team": vault.pk}, format="json")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["team"], response.json()["team_name"]) == (
        ticket.pk,
        vault.pk,
        "Security",
    )
    assert Ticket.objects.get(pk=ticket.pk).team == vault
    assert agent_api.get(f"/api/support/tickets/{ticket.pk}").status_code == 404  # hidden from now on


def test_the_history_reads_an_assignee_events_empty_side_as_nobody():
    with translation.override("en"):
        assert value_words(EventKind.ASSIGNEE, "") == "nobody"
        assert value_words(EventKind.ASSIGNEE, "Chen Wei") == "Chen Wei"
    with translation.override("ru"):
        assert value_words(EventKind.ASSIGNEE, "") not in ("", "nobody")
