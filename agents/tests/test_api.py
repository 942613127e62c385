"""Agents through the API: limits (acceptance 1) and who may write (acceptance 9)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from agents.models import Agent
from agents.tests.factories import AgentFactory, UserFactory
from conftest import api_client_for

pytestmark = pytest.mark.django_db


def agent_payload(**overrides):
    payload = {
        "name": "Nadia New",
        "email": "nadia@helpdesk.example.com",
        "specializations": ["general"],
        "timezone": "Europe/Berlin",
        "working_hours": {"mon": [["09:00", "17:00"]]},
        "max_tickets": 10,
        "status": "available",
    }
    payload.update(overrides)
    return payload


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("max_tickets", 0, False),
        ("max_tickets", 1, True),
        ("max_tickets", 50, True),
        ("max_tickets", 51, False),
        ("name", "", False),
        ("name", "   ", False),
        ("email", "nadia@", False),
        ("email", "", False),
        ("specializations", [], False),
        ("specializations", ["astrology"], False),
        ("timezone", "Europe/Berlin", True),
        ("timezone", "Mars/Olympus", False),
        ("working_hours", {"mon": [["17:00", "09:00"]]}, False),
        ("working_hours", {"funday": []}, False),
        ("status", "busy", True),
        ("status", "sleeping", False),
        ("role", "overlord", False),
    ],
)
def test_agent_limits(supervisor_api, category, field, value, accepted):
    before = Agent.objects.count()

    response = supervisor_api.post("/api/support/agents", agent_payload(**{field: value}), format="json")

    if accepted:
        assert response.status_code == 201, response.json()
        assert Agent.objects.count() == before + 1
    else:
        assert response.status_code == 400
        assert field in response.json(), response.json()
        assert Agent.objects.count() == before


def test_agent_email_is_unique(supervisor_api, supervisor):
    response = supervisor_api.post("/api/support/agents", agent_payload(email=supervisor.email), format="json")

    assert response.status_code == 400
    assert "email" in response.json()


def test_creating_an_agent_creates_its_user(supervisor_api, category):
    response = supervisor_api.post("/api/support/agents", agent_payload(), format="json")

    assert response.status_code == 201
    agent = Agent.objects.get(pk=response.json()["id"])
    assert agent.user.email == "nadia@helpdesk.example.com"
    assert not agent.user.has_usable_password()
    assert response.json()["open_tickets"] == 0


def test_creating_an_agent_links_an_existing_user(supervisor_api, category):
    user = UserFactory(username="nadia", email="nadia@helpdesk.example.com")

    response = supervisor_api.post("/api/support/agents", agent_payload(username="nadia"), format="json")

    assert response.status_code == 201
    assert Agent.objects.get(pk=response.json()["id"]).user == user
    assert get_user_model().objects.filter(email="nadia@helpdesk.example.com").count() == 1


def test_a_user_cannot_become_two_agents(supervisor_api, agent):
    response = supervisor_api.post(
        "/api/support/agents",
        agent_payload(username=agent.user.username, email="x@example.com"),
        format="json",
    )

    assert response.status_code == 400
    assert "username" in response.json()


def test_anonymous_callers_get_401(anonymous_api):
    assert anonymous_api.get("/api/support/agents").status_code == 401
    assert anonymous_api.get("/api/support/tickets").status_code == 401
    assert anonymous_api.post("/api/support/tickets", {}, format="json").status_code == 401


def test_an_agent_reads_agents_but_cannot_create_them(agent_api, category):
    assert agent_api.get("/api/support/agents").status_code == 200

    response = agent_api.post("/api/support/agents", agent_payload(), format="json")

    assert response.status_code == 403
    assert not Agent.objects.filter(email="nadia@helpdesk.example.com").exists()


def test_an_agent_cannot_change_or_delete_agents(agent_api, other_agent):
    assert (
        agent_api.patch(f"/api/support/agents/{other_agent.pk}", {"max_tickets": 50}, format="json").status_code == 403
    )
    assert agent_api.delete(f"/api/support/agents/{other_agent.pk}").status_code == 403


def test_supervisors_and_admins_manage_agents(supervisor_api, admin_user, other_agent, category):
    assert supervisor_api.post("/api/support/agents", agent_payload(), format="json").status_code == 201
    response = supervisor_api.patch(f"/api/support/agents/{other_agent.pk}", {"max_tickets": 3}, format="json")
    assert response.status_code == 200
    assert response.json()["max_tickets"] == 3

    admin_api = api_client_for(admin_user)
    assert admin_api.delete(f"/api/support/agents/{other_agent.pk}").status_code == 204


def test_a_user_who_is_neither_agent_nor_integration_is_refused(category):
    stranger = api_client_for(UserFactory(username="stranger"))

    assert stranger.get("/api/support/tickets").status_code == 403
    assert stranger.get("/api/support/agents").status_code == 403


def test_agent_list_runs_a_constant_number_of_queries(agent_api, category, django_assert_max_num_queries):
    AgentFactory.create_batch(30, specializations=[category])

    with django_assert_max_num_queries(6):
        response = agent_api.get("/api/support/agents?page_size=100")

    assert response.json()["count"] == 31
