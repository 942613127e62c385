"""/api/support/automations: time rules with their conditions and actions, checked as a whole."""

from __future__ import annotations

import pytest

from automation.models import TimeRule
from automation.tests.factories import make_rule
from sla.tests.factories import BusinessCalendarFactory

pytestmark = pytest.mark.django_db

URL = "/api/support/automations"
REMIND = {
    "name": "Remind pending",
    "clock": "status_changed",
    "hours": 72,
    "conditions": [{"field": "status", "operator": "is", "value": "pending"}],
    "actions": [
        {"kind": "email_customer", "subject": "About {ticket_number}", "body": "Hello {customer_name}, {ticket_link}"}
    ],
}


def errors_of(response) -> dict:
    body = response.json()
    return body.get("errors", body)


def test_a_supervisor_creates_reads_and_replaces_a_rule(supervisor_api, agent_api):
    calendar = BusinessCalendarFactory()
    created = supervisor_api.post(URL, {**REMIND, "business_hours": True, "calendar": calendar.pk}, format="json")

    assert created.status_code == 201, created.content
    rule = TimeRule.objects.get(name="Remind pending")
    assert (rule.clock, rule.hours, rule.business_hours, rule.calendar_id) == ("status_changed", 72, True, calendar.pk)
    assert [c.as_dict() for c in rule.conditions.all()] == [
        {"group": "all", "field": "status", "operator": "is", "value": "pending"}
    ]
    read = agent_api.get(f"{URL}/{rule.pk}").json()
    assert read["actions"] == [
        {"kind": "email_customer", "value": "", **{k: REMIND["actions"][0][k] for k in ("subject", "body")}}
    ]

    replaced = supervisor_api.patch(
        f"{URL}/{rule.pk}",
        {"conditions": [{"field": "status", "operator": "is", "value": "resolved"},
                        {"group": "any", "field": "priority", "operator": "is", "value": "high"}]},
        format="json",
    )  # fmt: skip
    assert replaced.status_code == 200, replaced.content
    assert [(c.field, c.value, c.position) for c in rule.conditions.all()] == [
        ("status", "resolved", 0),
        ("priority", "high", 1),
    ]
    assert rule.actions.count() == 1  # not given: kept
    assert [r["name"] for r in agent_api.get(URL, {"active": "true"}).json()["results"]] == ["Remind pending"]
    assert agent_api.get(URL, {"active": "false"}).json()["results"] == []


def test_business_hours_need_a_calendar(supervisor_api):
    response = supervisor_api.post(URL, {**REMIND, "business_hours": True}, format="json")

    assert response.status_code == 400
    assert "calendar" in errors_of(response)
    assert not TimeRule.objects.exists()


@pytest.mark.parametrize(
    ("condition", "key", "words"),
    [
        ({"field": "body", "operator": "contains", "value": "refund"}, "conditions[1].field", "trigger"),
        ({"field": "business_hours", "operator": "is", "value": "yes"}, "conditions[1].field", "trigger"),
        ({"field": "status", "operator": "changed_to", "value": "open"}, "conditions[1].operator", "trigger"),
        ({"field": "status", "operator": "is", "value": "sleeping"}, "conditions[1].value", "sleeping"),
        ({"field": "team", "operator": "is", "value": "Nobody"}, "conditions[1].value", "Nobody"),
        ({"field": "colour", "operator": "is", "value": "red"}, "conditions[1].field", "colour"),
    ],
)
def test_a_condition_a_time_rule_cannot_check_is_refused_naming_it(supervisor_api, condition, key, words):
    body = {**REMIND, "conditions": [REMIND["conditions"][0], condition]}
    response = supervisor_api.post(URL, body, format="json")

    assert response.status_code == 400
    errors = errors_of(response)
    assert key in errors, errors
    assert words in " ".join(errors[key])


def test_actions_are_checked_and_needed(supervisor_api):
    bad = supervisor_api.post(
        URL, {**REMIND, "actions": [{"kind": "set_status", "value": "gone"}, {"kind": "email_customer"}]}, format="json"
    )
    none = supervisor_api.post(URL, {**REMIND, "actions": []}, format="json")

    assert bad.status_code == none.status_code == 400
    assert {"actions[0].value", "actions[1].subject", "actions[1].body"} <= set(errors_of(bad))
    assert "actions" in errors_of(none)


def test_a_failed_replacement_keeps_the_rule_as_it_was(supervisor_api):
    rule = make_rule("status_changed", 72, [("status", "is", "pending")], [("set_priority", "low")])

    response = supervisor_api.patch(
        f"{URL}/{rule.pk}", {"hours": 1, "conditions": [{"field": "body", "operator": "contains", "value": "x"}]},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.hours == 72
    assert [c.field for c in rule.conditions.all()] == ["status"]


def test_agents_read_and_only_supervisors_write(agent_api, integration_api, supervisor_api):
    rule = make_rule("created", 24, [], [("add_tags", "old")])

    assert agent_api.get(URL).status_code == 200
    assert agent_api.post(URL, REMIND, format="json").status_code == 403
    assert agent_api.patch(f"{URL}/{rule.pk}", {"hours": 2}, format="json").status_code == 403
    assert integration_api.delete(f"{URL}/{rule.pk}").status_code == 403
    assert supervisor_api.delete(f"{URL}/{rule.pk}").status_code == 204
    assert not TimeRule.objects.exists()
