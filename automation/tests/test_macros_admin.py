"""Macros in Django admin (issue 23, point 6): a form with its actions inline, checked by the
vocabulary, and supervisors may manage them (as they managed saved replies)."""

from __future__ import annotations

import pytest

from automation.models import Macro
from automation.tests.factories import make_macro

pytestmark = pytest.mark.django_db


def form(name: str, actions: list[dict], reply: str = "Hi {customer_name}.") -> dict:
    data = {
        "name": name,
        "reply": reply,
        "active": "on",
        "owner": "",
        "team": "",
        "category": "",
        "actions-TOTAL_FORMS": str(len(actions)),
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000",
    }
    for position, action in enumerate(actions):
        for part in ("kind", "value", "subject", "body"):
            data[f"actions-{position}-{part}"] = action.get(part, "")
        data[f"actions-{position}-position"] = str(position)
    return data


def test_a_supervisor_adds_a_macro_with_its_actions(client, supervisor):
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/automation/macro/add/",
        form("Refund approved", [{"kind": "set_status", "value": "pending"}, {"kind": "add_tags", "value": "refund"}]),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    macro = Macro.objects.get(name="Refund approved")
    assert macro.owner is None
    assert [(a.kind, a.value) for a in macro.actions.all()] == [("set_status", "pending"), ("add_tags", "refund")]


def test_the_vocabulary_and_the_placeholders_are_checked(client, supervisor):
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/automation/macro/add/",
        form(
            "Broken",
            [{"kind": "set_status", "value": "sleeping"}, {"kind": "add_note"}, {"kind": "call_webhook", "value": "1"}],
            reply="Hi {customer}",
        ),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "“sleeping” is not one of" in page
    assert "Enter a text." in page
    assert "Macros do not call webhooks" in page
    assert "Unknown placeholder {customer}" in page
    assert not Macro.objects.exists()


def test_the_list_filters_shared_and_personal(client, supervisor, agent):
    make_macro("Shared one")
    make_macro("Agnes's own", owner=agent)
    client.force_login(supervisor.user)

    shared = client.get("/admin/automation/macro/?shared=yes").content.decode()
    personal = client.get("/admin/automation/macro/?shared=no").content.decode()

    assert "Shared one" in shared and "Agnes&#x27;s own" not in shared
    assert "Agnes&#x27;s own" in personal and "Shared one" not in personal
