"""Time rules in Django admin: readable forms, checked as the API checks them."""

from __future__ import annotations

import pytest

from automation.models import TimeRule
from automation.tests.factories import make_rule
from sla.tests.factories import BusinessCalendarFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/automation/timerule/add/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def rule_form(conditions, actions, **fields) -> dict:
    return {
        "name": "Close resolved",
        "description": "",
        "clock": "status_changed",
        "hours": "96",
        "position": "0",
        "active": "on",
        **fields,
        **inline("conditions", [{"group": "all", "position": "0", "value": "", **c} for c in conditions]),
        **inline("actions", [{"position": "0", "value": "", "subject": "", "body": "", **a} for a in actions]),
    }


CLOSE = [{"kind": "set_status", "value": "closed"}]
RESOLVED = [{"field": "status", "operator": "is", "value": "resolved"}]


def test_the_add_page_offers_only_what_a_time_rule_can_check(admin_client):
    page = admin_client.get(ADD).content.decode()

    assert 'value="status"' in page and 'value="tags"' in page
    assert 'value="business_hours"' not in page and 'value="body"' not in page


def test_an_admin_creates_a_rule_with_its_conditions_and_actions(admin_client):
    response = admin_client.post(ADD, rule_form(RESOLVED, CLOSE))

    assert response.status_code == 302, response.content.decode()[:3000]
    rule = TimeRule.objects.get(name="Close resolved")
    assert [c.as_dict() for c in rule.conditions.all()] == [
        {"group": "all", "field": "status", "operator": "is", "value": "resolved"}
    ]
    assert [a.as_dict()["value"] for a in rule.actions.all()] == ["closed"]


@pytest.mark.parametrize(
    ("conditions", "actions", "fields", "message"),
    [
        (RESOLVED, CLOSE, {"business_hours": "on"}, "Choose the business calendar whose hours count."),
        ([{"field": "status", "operator": "changed_to", "value": "open"}], CLOSE, {}, "is a trigger&#x27;s operator"),
        ([{"field": "status", "operator": "is", "value": "asleep"}], CLOSE, {}, "“asleep” is not one of"),
        (RESOLVED, [{"kind": "set_status", "value": "gone"}], {}, "“gone” is not one of"),
        (RESOLVED, [{"kind": "email_customer", "value": ""}], {}, "Enter a text."),
        (RESOLVED, [], {}, "Add at least one action."),
    ],
)
def test_bad_rules_are_refused_in_plain_words(admin_client, conditions, actions, fields, message):
    response = admin_client.post(ADD, rule_form(conditions, actions, **fields))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TimeRule.objects.exists()


def test_business_hours_with_a_calendar_are_taken(admin_client):
    calendar = BusinessCalendarFactory()
    response = admin_client.post(ADD, rule_form(RESOLVED, CLOSE, business_hours="on", calendar=str(calendar.pk)))

    assert response.status_code == 302
    assert TimeRule.objects.get().calendar == calendar


def test_firings_are_listed_read_only(admin_client):
    rule = make_rule("created", 1, [], [("add_tags", "old")], name="Old tickets")
    ticket = TicketFactory()
    firing = rule.firings.create(ticket=ticket, stamp=ticket.created_at)

    listing = admin_client.get("/admin/automation/rulefiring/")
    assert listing.status_code == 200
    assert "Old tickets" in listing.content.decode() and f"#{ticket.pk}" in listing.content.decode()
    assert admin_client.get("/admin/automation/rulefiring/add/").status_code == 403
    assert admin_client.post(f"/admin/automation/rulefiring/{firing.pk}/delete/", {"post": "yes"}).status_code == 403


def test_editing_a_rule_keeps_its_actions_untouched(admin_client):
    rule = make_rule("status_changed", 96, [("status", "is", "resolved")], [("set_status", "closed")], name="Close")
    page = admin_client.get(f"/admin/automation/timerule/{rule.pk}/change/")
    assert page.status_code == 200
    condition, action = rule.conditions.get(), rule.actions.get()
    form = {
        "name": "Close later", "description": "", "clock": "status_changed", "hours": "120", "position": "0",
        "active": "on",
        **inline("conditions", [{"id": str(condition.pk), "rule": str(rule.pk), "group": "all", "field": "status",
                                 "operator": "is", "value": "resolved", "position": "0"}]),
        **inline("actions", [{"id": str(action.pk), "rule": str(rule.pk), "kind": "set_status", "value": "closed",
                              "subject": "", "body": "", "position": "0"}]),
    }  # fmt: skip
    form["conditions-INITIAL_FORMS"] = form["actions-INITIAL_FORMS"] = "1"

    response = admin_client.post(f"/admin/automation/timerule/{rule.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert (rule.name, rule.hours, rule.actions.count()) == ("Close later", 120, 1)
