"""Teams in the workspace: the queue's "My teams" view (the default for agents in a team) and
team filter, the ticket page's team, the dashboard by team."""

from __future__ import annotations

import pytest

from agents.models import Team
from agents.tests.factories import AgentFactory
from tickets.models import EventKind, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def billing(agent):
    team = Team.objects.create(name="Billing")
    team.members.add(agent)
    return team


@pytest.fixture
def technical(db):
    return Team.objects.create(name="Technical")


def queue(client, query: str = ""):
    response = client.get(f"/agent/{query}")
    assert response.status_code == 200
    return response.context["view"], [ticket.subject for ticket, _clock in response.context["rows"]]


def test_an_agent_in_a_team_opens_the_queue_on_their_teams_tickets(signed_in, billing, technical, category):
    TicketFactory(subject="Billing, open", category=category, team=billing, status="open")
    TicketFactory(subject="Billing, resolved", category=category, team=billing, status="resolved")
    TicketFactory(subject="Technical", category=category, team=technical)
    TicketFactory(subject="No team", category=category)

    view, subjects = queue(signed_in)

    assert view == "teams"
    assert subjects == ["Billing, open"]
    assert 'aria-current="page">My teams</a>' in signed_in.get("/agent/").content.decode()


def test_an_agent_in_no_team_keeps_my_tickets_as_the_default(signed_in, technical, agent, category):
    TicketFactory(subject="Mine", category=category, assigned_agent=agent)
    TicketFactory(subject="Technical", category=category, team=technical)

    assert queue(signed_in) == ("mine", ["Mine"])
    assert queue(signed_in, "?view=teams") == ("teams", [])


def test_the_team_filter_narrows_any_view(signed_in, billing, technical, category):
    TicketFactory(subject="Billing", category=category, team=billing)
    TicketFactory(subject="Technical", category=category, team=technical)
    TicketFactory(subject="No team", category=category)

    assert queue(signed_in, f"?view=open&team={technical.pk}")[1] == ["Technical"]
    assert queue(signed_in, "?view=open&team=none")[1] == ["No team"]
    assert sorted(queue(signed_in, "?view=open&team=not-a-team")[1]) == ["Billing", "No team", "Technical"]
    page = signed_in.get(f"/agent/?view=open&team={technical.pk}").content.decode()
    assert f'<option value="{technical.pk}" selected>Technical</option>' in page


def test_the_queue_shows_each_tickets_team_without_a_query_per_ticket(
    signed_in, billing, category, django_assert_max_num_queries
):
    for _ in range(3):
        TicketFactory(category=category, team=billing)
    signed_in.get("/agent/")  # warm the per-process caches
    with django_assert_max_num_queries(20) as few:
        signed_in.get("/agent/?view=open")
    for _ in range(10):
        TicketFactory(category=category, team=billing)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get("/agent/?view=open").content.decode()

    assert page.count('data-label="Team">Billing</td>') == 13


def test_the_ticket_page_shows_the_team_and_an_agent_changes_it(signed_in, billing, technical, category, agent):
    ticket = TicketFactory(category=category, team=billing, assigned_agent=agent, status="open")

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/change",
        {"status": "open", "priority": "normal", "category": "general", "team": technical.pk, "tags": ""},
    )

    assert "team Billing" in page
    assert f'<option value="{billing.pk}" selected>Billing</option>' in page
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.team == technical
    assert ticket.assigned_agent is None  # not a member of Technical
    after = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert "Team Billing → Technical" in " ".join(after.split())
    assert ticket.events.filter(kind=EventKind.TEAM).exists()


def test_an_unknown_team_on_the_ticket_page_is_refused_naming_it(signed_in, billing, category):
    ticket = TicketFactory(category=category, team=billing)

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/change",
        {"status": "new", "priority": "normal", "category": "general", "team": "999999", "tags": ""},
    )

    assert response.status_code == 400
    assert "team" in response.context["change_form"].errors
    assert Ticket.objects.get(pk=ticket.pk).team == billing


def test_the_dashboard_narrows_to_one_team(client, supervisor, billing, technical, category, agent):
    client.force_login(supervisor.user)
    outsider = AgentFactory(name="Oscar Outsider")
    TicketFactory(category=category, team=billing, status="open")
    TicketFactory.create_batch(2, category=category, team=technical, status="open")

    everyone = client.get("/agent/dashboard")
    one_team = client.get(f"/agent/dashboard?team={billing.pk}")
    nonsense = client.get("/agent/dashboard?team=x")

    assert everyone.context["open_total"] == 3
    assert one_team.context["open_total"] == 1
    assert [agent for agent, *_ in one_team.context["load"]] == [agent]
    assert outsider.name in everyone.content.decode() and outsider.name not in one_team.content.decode()
    assert f'<option value="{billing.pk}" selected>Billing</option>' in one_team.content.decode()
    assert nonsense.status_code == 200 and nonsense.context["open_total"] == 3


def test_moving_a_ticket_into_a_restricted_team_one_is_not_in_lands_on_the_queue(signed_in, billing, category):
    vault = Team.objects.create(name="Security", restricted=True)
    ticket = TicketFactory(category=category, team=billing, status="open")

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/change",
        {"status": "open", "priority": "normal", "category": "general", "team": vault.pk, "tags": ""},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/agent/"
    assert Ticket.objects.get(pk=ticket.pk).team == vault
    page = " ".join(response.content.decode().split())
    assert f"Ticket #{ticket.pk} moved to the team Security; you are not in it, so you no longer see it." in page


def test_a_team_change_that_unassigns_says_so_and_the_history_names_nobody(
    signed_in, billing, technical, category, agent
):
    ticket = TicketFactory(category=category, team=billing, assigned_agent=agent, status="open")

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/change",
        {"status": "open", "priority": "normal", "category": "general", "team": technical.pk, "tags": ""},
        follow=True,
    )

    page = " ".join(response.content.decode().split())
    assert f"It is now unassigned: {agent.name} is not in the team Technical." in page
    assert f"Assignee {agent.name} → nobody" in page


def test_the_dashboard_counts_each_members_open_tickets_of_the_chosen_team(
    client, supervisor, billing, technical, category, agent
):
    technical.members.add(agent)
    TicketFactory(category=category, team=billing, assigned_agent=agent, status="open")
    TicketFactory.create_batch(2, category=category, team=technical, assigned_agent=agent, status="open")
    client.force_login(supervisor.user)

    response = client.get(f"/agent/dashboard?team={billing.pk}")

    ((member, every_team, _capacity, _percent, this_team),) = response.context["load"]
    assert (member, this_team, every_team) == (agent, 1, 3)
    page = " ".join(response.content.decode().split())
    assert '<th scope="col">Open in Billing</th><th scope="col">Open in all teams</th>' in page
    assert '<td data-label="Open in Billing">1</td><td data-label="Open in all teams">3</td>' in page
