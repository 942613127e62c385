from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from agents.models import Agent
from agents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def form(category, **overrides):
    data = {
        "name": "Ada Admin-Made",
        "email": "ada@helpdesk.example.com",
        "role": "supervisor",
        "specializations": [category.pk],
        "timezone": "Europe/Berlin",
        "working_hours": '{"mon": [["09:00", "17:00"]]}',
        "max_tickets": "10",
        "status": "available",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_adding_an_agent_in_admin_creates_its_user(admin_client, category):
    response = admin_client.post("/admin/agents/agent/add/", form(category))

    assert response.status_code == 302, response.content.decode()[:2000]
    agent = Agent.objects.get(email="ada@helpdesk.example.com")
    assert agent.user.username == "ada"
    assert agent.user.is_staff  # supervisors work in admin
    assert not agent.user.has_usable_password()


def test_adding_an_agent_in_admin_links_the_user_with_that_email(admin_client, category):
    existing = UserFactory(username="ada.l", email="ada@helpdesk.example.com")

    admin_client.post("/admin/agents/agent/add/", form(category))

    assert Agent.objects.get(email="ada@helpdesk.example.com").user == existing
    assert get_user_model().objects.filter(email="ada@helpdesk.example.com").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_tickets", "51", "less than or equal to 50"),
        ("max_tickets", "0", "greater than or equal to 1"),
        ("timezone", "Mars/Olympus", "IANA"),
        ("specializations", [], "This field is required"),
        ("working_hours", '{"mon": [["17:00", "09:00"]]}', "ends before it starts"),
    ],
)
def test_admin_shows_plain_errors_and_saves_nothing(admin_client, category, field, value, message):
    users_before = get_user_model().objects.count()

    response = admin_client.post("/admin/agents/agent/add/", form(category, **{field: value}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Agent.objects.exists()
    assert get_user_model().objects.count() == users_before


def test_the_ticket_admin_lists_and_shows_tickets(admin_client):
    from tickets.tests.factories import MessageFactory

    message = MessageFactory(body="Shown in admin")

    assert admin_client.get("/admin/tickets/ticket/").status_code == 200
    page = admin_client.get(f"/admin/tickets/ticket/{message.ticket_id}/change/")
    assert page.status_code == 200
    assert "Shown in admin" in page.content.decode()


def test_the_notification_admin_requeues_dead_rows(admin_client):
    from notifications.tests.factories import NotificationFactory

    dead = NotificationFactory(status="dead", attempts=8)

    response = admin_client.post(
        "/admin/notifications/notification/", {"action": "requeue", "_selected_action": [dead.pk]}
    )

    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("pending", 0)
