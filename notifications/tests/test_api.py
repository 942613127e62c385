from __future__ import annotations

import pytest

from conftest import api_client_for
from notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db


def notice(user, title: str):
    return notification_enqueue(
        channel="dashboard",
        recipient=user.username,
        user=user,
        kind="ticket.assigned",
        payload={"title": title},
    )


def test_each_user_sees_only_their_own_notifications(agent, other_agent):
    notice(agent.user, "for agent")
    notice(other_agent.user, "for other")

    response = api_client_for(agent.user).get("/api/support/notifications")

    assert [n["title"] for n in response.json()["results"]] == ["for agent"]


def test_marking_as_read_changes_the_unread_list(agent):
    first = notice(agent.user, "first")
    notice(agent.user, "second")
    api = api_client_for(agent.user)

    assert api.post(f"/api/support/notifications/{first.pk}/read").json()["read_at"] is not None
    unread = api.get("/api/support/notifications?unread=true").json()

    assert [n["title"] for n in unread["results"]] == ["second"]


def test_nobody_can_mark_someone_elses_notification(agent, other_agent):
    theirs = notice(other_agent.user, "theirs")

    assert api_client_for(agent.user).post(f"/api/support/notifications/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_callers_get_401(anonymous_api):
    assert anonymous_api.get("/api/support/notifications").status_code == 401
