"""/api/support/triggers: conditions and actions written as a whole and checked on save, with
errors naming the part (issue 23, point 1)."""

from __future__ import annotations

import pytest

from agents.models import Team
from automation.models import Trigger

pytestmark = pytest.mark.django_db

URL = "/api/support/triggers/"


def trigger_body(**overrides):
    return {
        "name": "Big customer",
        "events": ["ticket.created"],
        "conditions": [
            {"field": "customer_domain", "operator": "is", "value": "bigcustomer.com"},
            {"group": "any", "field": "subject", "operator": "contains", "value": "outage"},
        ],
        "actions": [
            {"kind": "set_team", "value": "Enterprise"},
            {"kind": "set_priority", "value": "high"},
            {
                "kind": "email_customer",
                "subject": "We have it, {customer_name}",
                "body": "Ticket {ticket_number} is ours.",
            },
        ],
        **overrides,
    }


def test_a_supervisor_creates_reads_and_replaces_a_trigger(supervisor_api, agent_api):
    Team.objects.create(name="Enterprise")

    created = supervisor_api.post(URL, trigger_body(), format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert [c["field"] for c in body["conditions"]] == ["customer_domain", "subject"]
    assert body["conditions"][1]["group"] == "any"
    assert [a["kind"] for a in body["actions"]] == ["set_team", "set_priority", "email_customer"]
    read = agent_api.get(f"{URL}{body['id']}/").json()
    assert read == body

    patched = supervisor_api.patch(
        f"{URL}{body['id']}/", {"actions": [{"kind": "add_tags", "value": "vip"}], "active": False}, format="json"
    )
    assert patched.status_code == 200
    trigger = Trigger.objects.get()
    assert [a.kind for a in trigger.actions.all()] == ["add_tags"]
    assert trigger.conditions.count() == 2  # not named: kept
    assert not trigger.active


def test_agents_read_but_do_not_write(agent_api):
    assert agent_api.post(URL, trigger_body(), format="json").status_code == 403
    assert agent_api.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"events": ["ticket.exploded"]}, "events", "not a valid choice"),
        ({"events": []}, "events", ""),
        (
            {"conditions": [{"field": "priority", "operator": "contains", "value": "hi"}]},
            "conditions[0].operator",
            "does not apply",
        ),
        (
            {"conditions": [{"field": "status", "operator": "is", "value": "done"}]},
            "conditions[0].value",
            "is not one of",
        ),
        (
            {"conditions": [{"field": "category", "operator": "is", "value": "nope"}]},
            "conditions[0].value",
            "No category",
        ),
        (
            {"conditions": [{"field": "assignee", "operator": "is_set", "value": "x"}]},
            "conditions[0].value",
            "Leave the value empty",
        ),
        ({"actions": [{"kind": "set_team", "value": "Nobody's team"}]}, "actions[0].value", "No team"),
        (
            {"actions": [{"kind": "email_address", "value": "not-an-address", "subject": "s", "body": "b"}]},
            "actions[0].value",
            "email address",
        ),
        (
            {"actions": [{"kind": "email_customer", "subject": "Hi {customer_nmae}", "body": "b"}]},
            "actions[0].subject",
            "{customer_nmae}",
        ),
        ({"actions": [{"kind": "add_note"}]}, "actions[0].body", "Enter a text"),
        ({"actions": [{"kind": "add_tags", "value": "two words"}]}, "actions[0].value", "Tags are single words"),
        ({"actions": []}, "actions", ""),
    ],
)
def test_bad_parts_get_a_400_naming_them(supervisor_api, change, key, words):
    Team.objects.create(name="Enterprise")

    answer = supervisor_api.post(URL, trigger_body(**change), format="json")

    assert answer.status_code == 400
    errors = answer.json()
    flat = errors.get("errors", errors)
    text = str(flat)
    assert key in text, errors
    assert words in text, errors
    assert not Trigger.objects.exists()


def test_a_trigger_made_through_the_api_acts(supervisor_api, category):
    from agents.roles import customer_actor
    from tickets.services import ticket_create

    Team.objects.create(name="Enterprise")
    assert supervisor_api.post(URL, trigger_body(), format="json").status_code == 201

    ticket = ticket_create(
        subject="Login outage",
        description="Nobody at our company can sign in today.",
        customer_email="it@bigcustomer.com",
        category=category,
        actor=customer_actor("", "it@bigcustomer.com"),
        channel="email",
    )

    ticket.refresh_from_db()
    assert (ticket.team.name, ticket.priority) == ("Enterprise", "high")
