"""Acceptance 3 and manual assignment: who gets a ticket, and never past capacity."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from agents.roles import SYSTEM
from agents.tests.factories import AgentFactory
from tickets.assignment import ticket_auto_assign
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import CategoryFactory, TicketFactory

# Monday 2026-11-30 10:00 UTC: 11:00 in Berlin, 05:00 in New York, 19:00 in Tokyo.
MONDAY_10_UTC = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.mark.django_db(transaction=True)
def test_concurrent_auto_assignment_never_exceeds_capacity(category):
    agents = [
        AgentFactory(max_tickets=2, specializations=[category]),
        AgentFactory(max_tickets=2, specializations=[category]),
        AgentFactory(max_tickets=1, specializations=[category]),
    ]
    tickets = TicketFactory.create_batch(20, category=category)
    start = threading.Barrier(len(tickets))
    errors: list[BaseException] = []

    def assign(ticket: Ticket) -> None:
        try:
            start.wait()
            ticket_auto_assign(ticket=ticket, actor=SYSTEM)
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=assign, args=(ticket,)) for ticket in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Ticket.objects.filter(assigned_agent__isnull=False).count() == 5
    assert Ticket.objects.filter(assigned_agent__isnull=True).count() == 15
    for agent in agents:
        assert Ticket.objects.filter(assigned_agent=agent).count() == agent.max_tickets
    assert TicketEvent.objects.filter(kind="assignee").count() == 5


@pytest.mark.django_db
@time_machine.travel(MONDAY_10_UTC, tick=False)
def test_only_available_specialised_agents_inside_their_hours_are_picked(category):
    billing = CategoryFactory(slug="billing")
    AgentFactory(
        name="Berlin",
        timezone="Europe/Berlin",
        working_hours=NINE_TO_FIVE,
        specializations=[category],
    )
    AgentFactory(
        name="New York, before hours",
        timezone="America/New_York",
        working_hours=NINE_TO_FIVE,
        specializations=[category],
    )
    AgentFactory(
        name="Tokyo, after hours",
        timezone="Asia/Tokyo",
        working_hours=NINE_TO_FIVE,
        specializations=[category],
    )
    AgentFactory(name="Away", status="away", specializations=[category])
    AgentFactory(name="Offline", status="offline", specializations=[category])
    AgentFactory(name="Busy", status="busy", specializations=[category])
    AgentFactory(name="Billing only", specializations=[billing])
    picked = set()

    for _ in range(5):
        agent = ticket_auto_assign(ticket=TicketFactory(category=category), actor=SYSTEM)
        picked.add(agent.name)

    assert picked == {"Berlin"}


@pytest.mark.django_db
def test_nobody_is_picked_when_no_agent_fits(category):
    AgentFactory(status="away", specializations=[category])
    ticket = TicketFactory(category=category)

    assert ticket_auto_assign(ticket=ticket, actor=SYSTEM) is None
    ticket.refresh_from_db()
    assert ticket.assigned_agent is None


@pytest.mark.django_db
def test_least_loaded_first_then_round_robin(category):
    busy = AgentFactory(name="Busy Bee", specializations=[category])
    TicketFactory.create_batch(2, category=category, assigned_agent=busy, status="open")
    first = AgentFactory(name="First", specializations=[category])
    second = AgentFactory(name="Second", specializations=[category])

    order = [ticket_auto_assign(ticket=TicketFactory(category=category), actor=SYSTEM).name for _ in range(6)]

    # First and Second (0 tickets) alternate until they catch up with Busy Bee (2), then all three share.
    assert order[:4] == ["First", "Second", "First", "Second"]
    assert (
        sorted(order[4:]) == ["Busy Bee", "First"]
        or sorted(order[4:]) == ["Busy Bee", "Second"]
        or len(set(order[4:])) == 2
    )
    assert {first.name, second.name} <= set(order)


@pytest.mark.django_db
def test_resolved_tickets_free_capacity(category):
    agent = AgentFactory(max_tickets=1, specializations=[category])
    TicketFactory(category=category, assigned_agent=agent, status="resolved")

    assert ticket_auto_assign(ticket=TicketFactory(category=category), actor=SYSTEM) == agent


@pytest.mark.django_db
def test_tickets_are_assigned_on_creation_when_enabled(agent_api, agent, settings):
    settings.TICKETS_AUTO_ASSIGN = True

    response = agent_api.post(
        "/api/support/tickets",
        {
            "subject": "Help",
            "description": "Please help me with this.",
            "customer_email": "a@b.org",
            "category": "general",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["assigned_agent"] == agent.pk


@pytest.mark.django_db
def test_auto_assign_on_demand(agent_api, agent, other_agent):
    ticket = TicketFactory(category=other_agent.specializations.first())

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/assign", {}, format="json")

    assert response.status_code == 200
    assert response.json()["assigned_agent"] in {agent.pk, other_agent.pk}


@pytest.mark.django_db
def test_auto_assign_on_demand_says_when_nobody_can_take_it(agent_api, agent):
    agent.status = "offline"
    agent.save()
    ticket = TicketFactory(category=agent.specializations.first())

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/assign", {}, format="json")

    assert response.status_code == 409
    assert "No available agent" in response.json()["detail"]


@pytest.mark.django_db
def test_manual_assignment_respects_capacity(agent_api, other_agent):
    other_agent.max_tickets = 1
    other_agent.save()
    TicketFactory(assigned_agent=other_agent, status="open")
    ticket = TicketFactory()

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/assign", {"agent": other_agent.pk}, format="json")

    assert response.status_code == 409
    assert "1 open tickets of 1" in response.json()["detail"]
    ticket.refresh_from_db()
    assert ticket.assigned_agent is None


@pytest.mark.django_db
def test_only_supervisors_may_override_capacity(agent_api, supervisor_api, other_agent):
    other_agent.max_tickets = 1
    other_agent.save()
    TicketFactory(assigned_agent=other_agent, status="open")
    ticket = TicketFactory()
    url = f"/api/support/tickets/{ticket.pk}/assign"

    assert agent_api.post(url, {"agent": other_agent.pk, "override": True}, format="json").status_code == 403
    response = supervisor_api.post(url, {"agent": other_agent.pk, "override": True}, format="json")

    assert response.status_code == 200
    assert response.json()["assigned_agent"] == other_agent.pk


@pytest.mark.django_db
def test_unassign_and_unknown_agent(agent_api, agent):
    ticket = TicketFactory(assigned_agent=agent)
    url = f"/api/support/tickets/{ticket.pk}/assign"

    assert agent_api.post(url, {"agent": 99999}, format="json").status_code == 400
    response = agent_api.post(url, {"agent": None}, format="json")

    assert response.status_code == 200
    assert response.json()["assigned_agent"] is None
    event = TicketEvent.objects.get(ticket=ticket, kind="assignee")
    assert (event.old_value, event.new_value) == (agent.name, "")


@pytest.mark.django_db
def test_integrations_cannot_assign(integration_api, agent):
    ticket = TicketFactory()

    response = integration_api.post(f"/api/support/tickets/{ticket.pk}/assign", {"agent": agent.pk}, format="json")

    assert response.status_code == 403


@pytest.mark.django_db
def test_candidates_are_counted_exactly_up_to_capacity_least_loaded_first(category):
    from django.utils import timezone

    from tickets.assignment import candidate_agents

    always = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    busy, light, full = (
        AgentFactory(name=name, max_tickets=5, working_hours=always, specializations=[category])
        for name in ("Busy", "Light", "Full")
    )
    for agent, count in ((busy, 3), (light, 1), (full, 5)):
        TicketFactory.create_batch(count, category=category, assigned_agent=agent, status="open")
    TicketFactory.create_batch(4, category=category, assigned_agent=light, status="closed")  # not load

    candidates = candidate_agents(ticket=TicketFactory(category=category), now=timezone.now())

    assert [(agent.name, agent.load) for agent in candidates] == [("Light", 1), ("Busy", 3)]
