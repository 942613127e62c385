"""Teams through the API and Django admin: who may write, what is refused, what is routed."""

from __future__ import annotations

import pytest

from agents.models import Team
from agents.tests.factories import AgentFactory
from conftest import api_client_for
from mail.models import Mailbox
from sla.tests.factories import BusinessCalendarFactory, SLAPolicyFactory
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(category, agent, other_agent):
    team = Team.objects.create(name="Billing", lead=agent)
    team.members.set([agent, other_agent])
    CategoryFactory(slug="invoices", name="Invoices", team=team)
    return team


def test_agents_read_a_team_with_its_members_lead_calendar_categories_and_mailboxes(agent_api, billing, agent):
    calendar = BusinessCalendarFactory()
    billing.calendar = calendar
    billing.save()
    mailbox = Mailbox.objects.create(
        name="Billing inbox", host="imap.example.com", username="b@example.com", password_env="IMAP_PASSWORD",
        category=billing.categories.get(),
        team=billing,
    )  # fmt: skip

    listed = agent_api.get("/api/support/teams")
    detail = agent_api.get(f"/api/support/teams/{billing.pk}")

    assert listed.status_code == 200
    assert [team["name"] for team in listed.json()["results"]] == ["Billing"]
    body = detail.json()
    assert body["lead"] == agent.pk
    assert sorted(body["members"]) == sorted(billing.members.values_list("pk", flat=True))
    assert body["calendar"] == calendar.pk
    assert body["categories"] == ["invoices"]
    assert body["mailboxes"] == [mailbox.pk]
    assert body["restricted"] is False


def test_agents_and_integrations_read_but_only_supervisors_write(agent_api, integration_api, supervisor_api, agent):
    payload = {"name": "Technical", "members": [agent.pk], "lead": agent.pk}

    assert integration_api.get("/api/support/teams").status_code == 200
    assert agent_api.post("/api/support/teams", payload, format="json").status_code == 403
    assert integration_api.post("/api/support/teams", payload, format="json").status_code == 403
    created = supervisor_api.post("/api/support/teams", payload, format="json")

    assert created.status_code == 201, created.json()
    team = Team.objects.get(name="Technical")
    assert team.lead == agent
    assert list(team.members.all()) == [agent]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 101),
        ("members", [999999]),
        ("lead", 999999),
        ("calendar", 999999),
        ("categories", ["astrology"]),
        ("restricted", "maybe"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(supervisor_api, category, field, value):
    response = supervisor_api.post("/api/support/teams", {"name": "Support", field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Team.objects.exists()


def test_the_lead_must_be_a_member(supervisor_api, billing, agent, other_agent, supervisor):
    outsider = supervisor_api.post(
        "/api/support/teams", {"name": "Tech", "members": [agent.pk], "lead": other_agent.pk}, format="json"
    )
    new_lead = supervisor_api.patch(f"/api/support/teams/{billing.pk}", {"lead": supervisor.pk}, format="json")
    url = f"/api/support/teams/{billing.pk}"
    lead_dropped = supervisor_api.patch(url, {"members": [other_agent.pk]}, format="json")

    for response in (outsider, new_lead, lead_dropped):
        assert response.status_code == 400
        assert list(response.json()) == ["lead"]
    billing.refresh_from_db()
    assert billing.lead == agent
    assert billing.members.count() == 2


def test_naming_a_category_routes_it_here_and_takes_it_from_its_previous_team(supervisor_api, billing):
    response = supervisor_api.post("/api/support/teams", {"name": "Finance", "categories": ["invoices"]}, format="json")

    assert response.status_code == 201
    assert response.json()["categories"] == ["invoices"]
    assert list(billing.categories.all()) == []


def test_a_patch_sets_the_whole_list_of_categories(supervisor_api, billing, category):
    response = supervisor_api.patch(f"/api/support/teams/{billing.pk}", {"categories": ["general"]}, format="json")

    assert response.status_code == 200
    category.refresh_from_db()
    assert category.team == billing
    assert [c.slug for c in billing.categories.all()] == ["general"]


def test_deleting_a_team_leaves_its_tickets_without_one(supervisor_api, billing, category):
    ticket = TicketFactory(category=category, team=billing)

    response = supervisor_api.delete(f"/api/support/teams/{billing.pk}")

    assert response.status_code == 204
    ticket.refresh_from_db()
    assert ticket.team is None


def test_a_team_an_sla_policy_is_scoped_to_cannot_be_deleted(supervisor_api, billing):
    SLAPolicyFactory(team=billing)

    response = supervisor_api.delete(f"/api/support/teams/{billing.pk}")

    assert response.status_code == 409
    assert "SLA" in response.json()["detail"]
    assert Team.objects.filter(pk=billing.pk).exists()


def test_the_agents_api_lists_each_agents_teams(agent_api, billing, agent, supervisor):
    mine = agent_api.get(f"/api/support/agents/{agent.pk}").json()
    theirs = agent_api.get(f"/api/support/agents/{supervisor.pk}").json()

    assert mine["teams"] == [billing.pk]
    assert theirs["teams"] == []


def test_the_teams_list_reads_in_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    for index in range(5):
        team = Team.objects.create(name=f"Team {index}")
        team.members.set([AgentFactory() for _ in range(3)])
    client = api_client_for(agent.user)

    with django_assert_max_num_queries(8):
        response = client.get("/api/support/teams")

    assert len(response.json()["results"]) == 5


# --- Django admin ---------------------------------------------------------------------------


def test_the_admin_refuses_a_lead_outside_the_team_naming_the_lead(client, admin_user, agent, other_agent):
    client.force_login(admin_user)

    response = client.post(
        "/admin/agents/team/add/", {"name": "Tech", "members": [agent.pk], "lead": other_agent.pk, "categories": []}
    )

    assert response.status_code == 200
    assert "lead" in response.context["adminform"].form.errors
    assert not Team.objects.exists()


def test_the_admin_saves_members_lead_calendar_and_routed_categories(client, admin_user, agent, category):
    client.force_login(admin_user)
    calendar = BusinessCalendarFactory()

    response = client.post(
        "/admin/agents/team/add/",
        {
            "name": "Tech",
            "members": [agent.pk],
            "lead": agent.pk,
            "calendar": calendar.pk,
            "restricted": "on",
            "categories": [category.pk],
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    team = Team.objects.get(name="Tech")
    assert (team.lead, team.calendar, team.restricted) == (agent, calendar, True)
    assert list(team.categories.all()) == [category]
    page = client.get(f"/admin/agents/team/{team.pk}/change/").content.decode()
    assert "Mailboxes routed here" in page
