"""Triggers in Django admin: readable rows, and each part checked on save (issue 23, point 6)."""

from __future__ import annotations

import pytest

from automation.models import Trigger

pytestmark = pytest.mark.django_db

ADD = "/admin/automation/trigger/add/"


def form(**rows) -> dict[str, str]:
    data = {
        "name": "Refunds to billing",
        "description": "",
        "events": ["ticket.created"],
        "active": "on",
        "position": "0",
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-position": "0",
        "conditions-0-group": "all",
        "conditions-0-field": "subject",
        "conditions-0-operator": "contains",
        "conditions-0-value": "refund",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-position": "0",
        "actions-0-kind": "add_tags",
        "actions-0-value": "refund",
        "actions-0-subject": "",
        "actions-0-body": "",
    }
    data.update(rows)
    return data


def test_the_add_page_shows_conditions_and_actions_as_forms(admin_client):
    page = admin_client.get(ADD).content.decode()
    assert 'name="conditions-0-field"' in page
    assert 'name="conditions-0-operator"' in page
    assert 'name="actions-0-kind"' in page
    assert 'type="checkbox" name="events" value="ticket.created"' in page


def test_a_valid_trigger_is_saved_with_its_rows(admin_client):
    answer = admin_client.post(ADD, form())
    assert answer.status_code == 302, answer.content.decode()[:2000]
    trigger = Trigger.objects.get()
    assert [str(c) for c in trigger.conditions.all()] == ["Subject contains refund"]
    assert [a.kind for a in trigger.actions.all()] == ["add_tags"]


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ({"conditions-0-field": "priority", "conditions-0-operator": "contains"}, "does not apply to priority"),
        (
            {"conditions-0-field": "status", "conditions-0-operator": "is", "conditions-0-value": "done"},
            "is not one of",
        ),
        ({"actions-0-kind": "email_customer"}, "Enter a text."),
        ({"actions-0-kind": "add_note", "actions-0-body": "Hi {nobody}"}, "Unknown placeholder {nobody}"),
    ],
)
def test_a_bad_part_is_refused_with_its_error(admin_client, rows, words):
    answer = admin_client.post(ADD, form(**rows))
    assert answer.status_code == 200
    assert words in answer.content.decode()
    assert not Trigger.objects.exists()
