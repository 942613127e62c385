"""/api/support/calendars and /api/support/holidays: who may do what, the week's hours,
holidays, validation naming the field, and refused deletions."""

from __future__ import annotations

from datetime import date, time

import pytest

from agents.models import Team
from automation.tests.factories import make_rule
from sla.models import BusinessCalendar, BusinessHours, Holiday
from sla.tests.factories import BusinessCalendarFactory, HolidayFactory, SLAPolicyFactory

pytestmark = pytest.mark.django_db

CALENDARS = "/api/support/calendars"
HOLIDAYS = "/api/support/holidays"
WEEK = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)]


def test_agents_and_integrations_read_but_do_not_write(agent_api, integration_api):
    calendar = BusinessCalendarFactory(name="Berlin")
    HolidayFactory(calendar=calendar, date=date(2026, 12, 25))
    for client in (agent_api, integration_api):
        [read] = client.get(CALENDARS).json()["results"]
        assert read["name"] == "Berlin"
        assert read["hours"][0] == {"weekday": 0, "start": "09:00", "end": "17:00"}
        assert read["holidays"] == 1
        assert client.get(HOLIDAYS, {"calendar": calendar.pk}).json()["count"] == 1
        assert client.post(CALENDARS, {"name": "X"}, format="json").status_code == 403
        assert client.patch(f"{CALENDARS}/{calendar.pk}", {"name": "Y"}, format="json").status_code == 403
        assert client.delete(f"{CALENDARS}/{calendar.pk}").status_code == 403
        assert client.post(HOLIDAYS, {"calendar": calendar.pk, "date": "2026-12-26"}, format="json").status_code == 403


def test_a_supervisor_creates_a_calendar_with_its_week_and_replaces_the_week(supervisor_api):
    created = supervisor_api.post(
        CALENDARS, {"name": "Sydney", "timezone": "Australia/Sydney", "hours": WEEK}, format="json"
    )
    assert created.status_code == 201, created.json()
    calendar = BusinessCalendar.objects.get(name="Sydney")
    assert calendar.hours.count() == 5
    assert created.json()["holidays"] == 0

    changed = supervisor_api.patch(
        f"{CALENDARS}/{calendar.pk}", {"hours": [{"weekday": 5, "start": "10:00", "end": "00:00"}]}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert changed.json()["hours"] == [{"weekday": 5, "start": "10:00", "end": "00:00"}]
    assert list(BusinessHours.objects.filter(calendar=calendar).values_list("weekday", "start")) == [(5, time(10))]
    renamed = supervisor_api.patch(f"{CALENDARS}/{calendar.pk}", {"name": "Sydney office"}, format="json")
    assert renamed.json()["hours"] == changed.json()["hours"]  # no `hours`: the week stays


def test_the_new_week_counts_for_due_times_at_once(supervisor_api):
    calendar = BusinessCalendarFactory(name="Berlin")
    assert calendar.schedule().weekly_minutes == 5 * 8 * 60

    supervisor_api.patch(f"{CALENDARS}/{calendar.pk}", {"hours": WEEK[:1]}, format="json")

    assert BusinessCalendar.objects.get(pk=calendar.pk).schedule().weekly_minutes == 8 * 60


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"name": "X", "hours": [{"weekday": 0, "start": "17:00", "end": "09:00"}]}, "hours"),
        ({"name": "X", "hours": [{"weekday": 7, "start": "09:00", "end": "17:00"}]}, "hours"),
        ({"name": "X", "hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}] * 2}, "hours"),  # overlap
        ({"name": "X", "hours": [{"weekday": 0, "start": "09:00", "end": "09:30"}]}, "hours"),  # < 60 a week
        ({"name": "X", "holiday_country": "XX"}, "holiday_country"),
        ({"name": "X", "holiday_country": "DE", "holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"name": "X", "holiday_subdivision": "BY"}, "holiday_subdivision"),
        ({"name": "Berlin"}, "name"),  # taken
    ],
)
def test_bad_input_is_a_400_naming_the_field(supervisor_api, body, field):
    BusinessCalendarFactory(name="Berlin")

    response = supervisor_api.post(CALENDARS, body, format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_an_end_before_the_start_is_named_inside_the_range(supervisor_api):
    body = {"name": "X", "hours": [WEEK[0], {"weekday": 1, "start": "17:00", "end": "09:00"}]}

    response = supervisor_api.post(CALENDARS, body, format="json")

    assert response.json()["hours"] == {"1": {"end": ["The range must end after it starts (use 00:00 for midnight)."]}}


class TestDeletion:
    def test_a_calendar_used_by_policies_time_rules_or_teams_stays(self, supervisor_api):
        calendar = BusinessCalendarFactory(name="Berlin")
        SLAPolicyFactory(calendar=calendar)
        make_rule("updated", 24, [("status", "is", "open")], [("add_tags", "stale")], calendar=calendar)
        Team.objects.create(name="Billing", calendar=calendar)

        response = supervisor_api.delete(f"{CALENDARS}/{calendar.pk}")

        assert response.status_code == 409
        assert response.json()["used_by"] == ["SLA policies", "time rules", "teams"]
        assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()

    def test_a_team_alone_holds_it_too(self, supervisor_api):
        calendar = BusinessCalendarFactory(name="Berlin")
        Team.objects.create(name="Billing", calendar=calendar)

        response = supervisor_api.delete(f"{CALENDARS}/{calendar.pk}")

        assert (response.status_code, response.json()["used_by"]) == (409, ["teams"])

    def test_an_unused_one_goes_with_its_hours_and_holidays(self, supervisor_api):
        calendar = BusinessCalendarFactory(name="Berlin")
        HolidayFactory(calendar=calendar)

        assert supervisor_api.delete(f"{CALENDARS}/{calendar.pk}").status_code == 204

        assert not BusinessHours.objects.exists() and not Holiday.objects.exists()


class TestHolidays:
    def test_a_supervisor_adds_renames_and_removes_one(self, supervisor_api):
        calendar = BusinessCalendarFactory(name="Berlin")

        added = supervisor_api.post(
            HOLIDAYS, {"calendar": calendar.pk, "date": "2026-12-24", "name": "Christmas Eve"}, format="json"
        )
        assert added.status_code == 201, added.json()
        url = f"{HOLIDAYS}/{added.json()['id']}"
        assert supervisor_api.patch(url, {"name": "Heiligabend"}, format="json").json()["name"] == "Heiligabend"
        assert supervisor_api.delete(url).status_code == 204
        assert not Holiday.objects.exists()

    def test_filters_by_calendar_year_and_dates(self, agent_api):
        berlin, paris = BusinessCalendarFactory(name="Berlin"), BusinessCalendarFactory(name="Paris")
        for day in (date(2025, 12, 25), date(2026, 1, 1), date(2026, 12, 25)):
            HolidayFactory(calendar=berlin, date=day)
        HolidayFactory(calendar=paris, date=date(2026, 7, 14))

        def dates(**query) -> list[str]:
            response = agent_api.get(HOLIDAYS, query)
            assert response.status_code == 200, response.json()
            return [h["date"] for h in response.json()["results"]]

        assert dates(calendar=berlin.pk, year=2026) == ["2026-01-01", "2026-12-25"]
        assert dates(after="2026-01-01", before="2026-12-25") == ["2026-01-01", "2026-07-14"]
        assert dates(calendar=paris.pk, ordering="-date") == ["2026-07-14"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"date": "2026-12-25"}, "date"),  # the calendar has it already
            ({"date": "0226-12-25"}, "date"),  # outside the years a calendar counts
            ({"date": "2026-02-30"}, "date"),
            ({"date": "2026-12-26", "calendar": 999999}, "calendar"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, supervisor_api, body, field):
        calendar = BusinessCalendarFactory(name="Berlin")
        HolidayFactory(calendar=calendar, date=date(2026, 12, 25))

        response = supervisor_api.post(HOLIDAYS, {"calendar": calendar.pk, **body}, format="json")

        assert response.status_code == 400
        assert field in response.json(), response.json()

    def test_a_holiday_does_not_move_to_another_calendar(self, supervisor_api):
        holiday = HolidayFactory(calendar=BusinessCalendarFactory(name="Berlin"))
        paris = BusinessCalendarFactory(name="Paris")

        response = supervisor_api.patch(f"{HOLIDAYS}/{holiday.pk}", {"calendar": paris.pk}, format="json")

        assert response.status_code == 400
        assert "calendar" in response.json()

    def test_import_copies_a_countrys_year_and_keeps_what_is_there(self, supervisor_api):
        calendar = BusinessCalendarFactory(name="Munich", holiday_country="DE", holiday_subdivision="BY")
        HolidayFactory(calendar=calendar, date=date(2026, 12, 25), name="Our Christmas")

        response = supervisor_api.post(f"{CALENDARS}/{calendar.pk}/import-holidays", {"year": 2026}, format="json")

        assert response.status_code == 200, response.json()
        assert response.json()["holidays"] == response.json()["added"] + 1
        assert calendar.holidays.filter(date=date(2026, 1, 6)).exists()  # Epiphany: Bavaria's, not all Germany's
        assert calendar.holidays.get(date=date(2026, 12, 25)).name == "Our Christmas"

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"year": 2026}, "country"), ({"year": 2026, "country": "XX"}, "country"), ({"year": 1066}, "year")],
    )
    def test_import_refusals_name_the_field(self, supervisor_api, body, field):
        calendar = BusinessCalendarFactory(name="Nowhere")

        response = supervisor_api.post(f"{CALENDARS}/{calendar.pk}/import-holidays", body, format="json")

        assert response.status_code == 400
        assert field in response.json()
