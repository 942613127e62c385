"""Acceptance 7: running SLA entirely from Django admin."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core import mail

from agents.models import Team
from customers.models import Organization
from notifications.tests.factories import NotificationFactory
from sla.models import BusinessCalendar, Holiday, SLAPolicy

pytestmark = pytest.mark.django_db


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


def calendar_form(hours: list[dict], holidays: list[dict]) -> dict:
    return {
        "name": "Berlin office",
        "timezone": "Europe/Berlin",
        "holiday_country": "DE",
        "holiday_subdivision": "",
        **inline("hours", hours),
        **inline("holidays", holidays),
    }


WEEKDAYS_9_TO_5 = [{"weekday": str(day), "start": "09:00", "end": "17:00"} for day in range(5)]


def test_an_admin_creates_a_calendar_with_hours_and_holidays_and_a_policy_using_it(admin_client, category):
    response = admin_client.post(
        "/admin/sla/businesscalendar/add/",
        calendar_form(WEEKDAYS_9_TO_5, [{"date": "2026-12-24", "name": "Christmas Eve"}]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    calendar = BusinessCalendar.objects.get(name="Berlin office")
    assert calendar.hours.count() == 5
    assert calendar.hours.first().start == time(9)
    assert list(calendar.holidays.values_list("date", flat=True)) == [date(2026, 12, 24)]

    response = admin_client.post(
        "/admin/sla/slapolicy/add/",
        {
            "name": "Urgent billing",
            "active": "on",
            "priority": "urgent",
            "category": category.pk,
            "first_response_hours": "1",
            "resolution_hours": "8",
            "at_risk_percent": "75",
            "calendar": calendar.pk,
            "slack_webhook_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = SLAPolicy.objects.get(name="Urgent billing")
    assert (policy.calendar, policy.category, policy.at_risk_percent) == (calendar, category, 75)
    assert admin_client.get("/admin/sla/slapolicy/?priority__exact=urgent&q=billing").status_code == 200


def test_an_admin_scopes_a_policy_by_team_organisation_and_channel(admin_client, category):
    team = Team.objects.create(name="Billing")
    organization = Organization.objects.create(name="Acme")
    form = {
        "name": "Acme billing by email",
        "active": "on",
        "priority": "high",
        "team": team.pk,
        "organization": organization.pk,
        "channel": "email",
        "first_response_hours": "1",
        "resolution_hours": "8",
        "at_risk_percent": "80",
    }

    page = admin_client.get("/admin/sla/slapolicy/add/").content.decode()
    assert all(f'name="{name}"' in page for name in ("team", "organization", "channel"))
    assert "naming the most of" in page  # the precedence, said where policies are made
    assert (
        "not one of the available choices"
        in admin_client.post("/admin/sla/slapolicy/add/", {**form, "channel": "fax"}).content.decode()
    )
    response = admin_client.post("/admin/sla/slapolicy/add/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    policy = SLAPolicy.objects.get(name="Acme billing by email")
    assert (policy.team, policy.organization, policy.channel) == (team, organization, "email")
    listed = admin_client.get(f"/admin/sla/slapolicy/?team__id__exact={team.pk}&channel__exact=email")
    assert listed.status_code == 200 and "Acme billing by email" in listed.content.decode()


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (
            [{"weekday": "0", "start": "09:00", "end": "13:00"}, {"weekday": "0", "start": "12:00", "end": "17:00"}],
            "ranges overlap",
        ),
        ([{"weekday": "0", "start": "09:00", "end": "09:30"}], "at least 60 working minutes a week"),
        ([{"weekday": "0", "start": "17:00", "end": "09:00"}], "must end after it starts"),
    ],
)
def test_bad_hours_are_refused_in_plain_words(admin_client, hours, message):
    response = admin_client.post("/admin/sla/businesscalendar/add/", calendar_form(hours, []))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BusinessCalendar.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_response_hours", "0", "greater than or equal to 1"),
        ("first_response_hours", "169", "less than or equal to 168"),
        ("resolution_hours", "721", "less than or equal to 720"),
        ("at_risk_percent", "100", "less than or equal to 99"),
        ("first_response_hours", "10", "cannot be longer than the resolution target"),
    ],
)
def test_bad_policies_are_refused_in_plain_words(admin_client, field, value, message):
    form = {
        "name": "P",
        "active": "on",
        "priority": "high",
        "first_response_hours": "2",
        "resolution_hours": "8",
        "at_risk_percent": "80",
        field: value,
    }

    response = admin_client.post("/admin/sla/slapolicy/add/", form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SLAPolicy.objects.exists()


def test_the_import_holidays_action_adds_the_countrys_holidays(admin_client):
    calendar = BusinessCalendar.objects.create(
        name="Munich", timezone="Europe/Berlin", holiday_country="DE", holiday_subdivision="BY"
    )

    response = admin_client.post(
        "/admin/sla/businesscalendar/", {"action": "import_holidays", "_selected_action": [calendar.pk]}, follow=True
    )

    assert "holidays added" in response.content.decode()
    names = set(Holiday.objects.filter(calendar=calendar).values_list("name", flat=True))
    assert any("Weihnacht" in name or "Christmas" in name for name in names)
    assert any("Heilige Drei" in name or "Epiphany" in name for name in names)  # a Bavarian holiday


def test_violations_are_read_only_in_admin(admin_client):
    from sla.tests.factories import SLAViolationFactory

    violation = SLAViolationFactory()

    assert admin_client.get("/admin/sla/slaviolation/").status_code == 200
    assert admin_client.get("/admin/sla/slaviolation/add/").status_code == 403
    page = admin_client.get(f"/admin/sla/slaviolation/{violation.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_a_dead_notification_requeued_from_admin_is_delivered(admin_client, django_capture_on_commit_callbacks):
    from notifications.delivery import notifications_deliver_due

    dead = NotificationFactory(status="dead", attempts=8, recipient="supervisor@example.org")
    admin_client.post("/admin/notifications/notification/", {"action": "requeue", "_selected_action": [dead.pk]})

    assert notifications_deliver_due() == {"sent": 1}
    dead.refresh_from_db()
    assert dead.status == "sent"
    assert mail.outbox[-1].to == ["supervisor@example.org"]
