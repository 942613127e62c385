"""The SLA endpoints: one-ticket check, policies, violations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import Team
from customers.models import Organization
from sla.models import SLAPolicy, SLAViolation
from sla.tests.factories import SLAPolicyFactory, SLAViolationFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(category):
    now = timezone.now()
    return TicketFactory(
        category=category,
        status="open",
        sla_policy=SLAPolicyFactory(name="Standard"),
        first_response_due_at=now - timedelta(minutes=90),
        resolution_due_at=now + timedelta(hours=3),
    )


@pytest.mark.parametrize("key", ["ticket_id", "ticketId"])
def test_checking_a_ticket_records_and_returns_its_violations(agent_api, overdue, key):
    response = agent_api.post("/api/support/sla", {key: overdue.pk}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["ticket_id"], body["policy"], body["new_violations"]) == (overdue.pk, "Standard", 1)
    [violation] = body["violations"]
    assert violation["kind"] == "first_response"
    assert 89 <= violation["minutes_late"] <= 91
    # checking again records nothing new but still returns the violation
    again = agent_api.post("/api/support/sla/", {key: overdue.pk}, format="json").json()
    assert (again["new_violations"], len(again["violations"])) == (0, 1)
    assert SLAViolation.objects.count() == 1


def test_checking_only_touches_the_ticket_asked_about(agent_api, overdue, category):
    other = TicketFactory(
        category=category,
        status="open",
        sla_policy=overdue.sla_policy,
        first_response_due_at=overdue.first_response_due_at,
    )

    agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json")

    assert not SLAViolation.objects.filter(ticket=other).exists()


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"ticket_id": 999999}, 404), ({}, 400), ({"ticket_id": "abc"}, 400), ({"ticket_id": 0}, 400)],
)
def test_bad_checks(agent_api, category, payload, status):
    response = agent_api.post("/api/support/sla", payload, format="json")

    assert response.status_code == status
    if status == 400:
        assert "ticket_id" in response.json()


def test_a_failing_check_is_an_error_never_no_violation(agent_api, overdue, monkeypatch):
    import sla.queries

    monkeypatch.setattr(sla.queries, "_SCAN", "SELECT * FROM no_such_table")

    response = agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json")

    assert response.status_code == 503
    assert "violations" not in response.json()


def test_anonymous_callers_cannot_check(anonymous_api, overdue):
    assert anonymous_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json").status_code == 401


POLICY = {"name": "Gold", "priority": "high", "first_response_hours": 1, "resolution_hours": 8}


def test_supervisors_write_policies_agents_read_them(agent_api, supervisor_api, category):
    assert agent_api.post("/api/support/sla/policies", POLICY, format="json").status_code == 403
    created = supervisor_api.post(
        "/api/support/sla/policies",
        {**POLICY, "category": "general", "slack_webhook_url": "https://hooks.example.com/x"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert "slack_webhook_url" not in created.json()  # write-only: a secret
    listed = agent_api.get("/api/support/sla/policies").json()["results"]
    assert [p["name"] for p in listed] == ["Gold"]
    policy_id = created.json()["id"]
    assert (
        supervisor_api.patch(f"/api/support/sla/policies/{policy_id}", {"active": False}, format="json").json()[
            "active"
        ]
        is False
    )
    assert supervisor_api.delete(f"/api/support/sla/policies/{policy_id}").status_code == 204


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("first_response_hours", 0, False),
        ("first_response_hours", 1, True),
        ("first_response_hours", 168, False),  # longer than the 8 h resolution target
        ("first_response_hours", 169, False),
        ("resolution_hours", 720, True),
        ("resolution_hours", 721, False),
        ("at_risk_percent", 0, False),
        ("at_risk_percent", 99, True),
        ("at_risk_percent", 100, False),
        ("priority", "asap", False),
        ("category", "astrology", False),
        ("calendar", 999, False),
        ("channel", "email", True),
        ("channel", "", True),
        ("channel", "fax", False),
        ("channel", None, False),
        ("team", 999, False),
        ("team", "billing", False),
        ("organization", 999, False),
        ("organization", 2**40, False),
    ],
)
def test_policy_limits(supervisor_api, category, field, value, accepted):
    response = supervisor_api.post("/api/support/sla/policies", {**POLICY, field: value}, format="json")

    assert response.status_code == (201 if accepted else 400), response.json()
    if not accepted:
        assert field in response.json()
        assert not SLAPolicy.objects.exists()


def test_a_policy_is_scoped_by_team_organisation_and_channel(agent_api, supervisor_api, category):
    team = Team.objects.create(name="Billing")
    organization = Organization.objects.create(name="Acme")
    scopes = {"category": "general", "team": team.pk, "organization": organization.pk, "channel": "email"}

    created = supervisor_api.post("/api/support/sla/policies", {**POLICY, **scopes}, format="json")

    assert created.status_code == 201, created.json()
    assert {key: created.json()[key] for key in scopes} == scopes
    policy_id = created.json()["id"]
    SLAPolicyFactory(name="Anyone")
    assert [p["name"] for p in agent_api.get("/api/support/sla/policies", {"team": team.pk}).json()["results"]] == [
        "Gold"
    ]
    assert agent_api.get("/api/support/sla/policies", {"channel": "email"}).json()["count"] == 1
    assert agent_api.get("/api/support/sla/policies", {"organization": organization.pk}).json()["count"] == 1
    for bad in ({"channel": "fax"}, {"team": "x"}, {"organization": 2**40}):
        assert agent_api.get("/api/support/sla/policies", bad).status_code == 400, bad
    unscoped = supervisor_api.patch(
        f"/api/support/sla/policies/{policy_id}",
        {"team": None, "organization": None, "channel": ""},
        format="json",
    )
    assert unscoped.status_code == 200, unscoped.json()
    assert SLAPolicy.objects.filter(pk=policy_id, team=None, organization=None, channel="").exists()


def test_policy_limits_hold_in_the_database(category):
    from django.db import IntegrityError, transaction

    for fields in (
        {"first_response_hours": 0},
        {"resolution_hours": 721},
        {"at_risk_percent": 100},
        {"priority": "x"},
        {"channel": "fax"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            SLAPolicy.objects.create(**{**POLICY, **fields})


def test_violations_are_listed_with_filters(agent_api, agent, category):
    now = timezone.now()
    mine = SLAViolationFactory(ticket=TicketFactory(assigned_agent=agent), kind="resolution", detected_at=now)
    SLAViolationFactory(kind="first_response", detected_at=now - timedelta(days=3))

    def ids(**params):
        response = agent_api.get("/api/support/sla/violations", params)
        assert response.status_code == 200
        return [v["id"] for v in response.json()["results"]]

    assert len(ids()) == 2
    assert ids(kind="resolution") == [mine.pk]
    assert ids(agent=agent.pk) == [mine.pk]
    assert ids(ticket=mine.ticket_id) == [mine.pk]
    assert ids(detected_after=(now - timedelta(days=1)).isoformat()) == [mine.pk]
    assert agent_api.get("/api/support/sla/violations", {"kind": "late"}).status_code == 400


def test_the_violation_list_costs_the_same_for_any_page_size(agent_api, django_assert_max_num_queries):
    for _ in range(30):
        SLAViolationFactory(policy=SLAPolicyFactory())

    with django_assert_max_num_queries(4):
        response = agent_api.get("/api/support/sla/violations?page_size=100")

    assert response.json()["count"] == 30


def _inserts(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"].upper()]


def test_a_check_with_nothing_new_only_reads(agent_api, category):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    calm = TicketFactory(
        category=category,
        status="open",
        sla_policy=SLAPolicyFactory(),
        first_response_due_at=now + timedelta(hours=2),
        first_response_at_risk_at=now + timedelta(hours=1),
        resolution_due_at=now + timedelta(hours=8),
        resolution_at_risk_at=now + timedelta(hours=6),
    )

    with CaptureQueriesContext(connection) as queries:
        body = agent_api.post("/api/support/sla", {"ticket_id": calm.pk}, format="json").json()

    assert (body["new_violations"], body["violations"]) == (0, [])
    assert _inserts(queries) == []
    assert len(queries.captured_queries) <= 4  # caller, ticket, its violations (sessions add none)


def test_a_recorded_violation_is_returned_without_writing_again(agent_api, overdue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json")

    with CaptureQueriesContext(connection) as queries:
        body = agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json").json()

    assert (body["new_violations"], [v["kind"] for v in body["violations"]]) == (0, ["first_response"])
    assert _inserts(queries) == []


def test_a_check_records_an_at_risk_warning_once(agent_api, category):
    from sla.models import SLAWarning

    now = timezone.now()
    risky = TicketFactory(
        category=category,
        status="new",
        sla_policy=SLAPolicyFactory(),
        first_response_due_at=now + timedelta(minutes=20),
        first_response_at_risk_at=now - timedelta(minutes=10),
        resolution_due_at=now + timedelta(hours=8),
        resolution_at_risk_at=now + timedelta(hours=6),
    )

    first = agent_api.post("/api/support/sla", {"ticket_id": risky.pk}, format="json").json()
    agent_api.post("/api/support/sla", {"ticket_id": risky.pk}, format="json")

    assert (first["new_violations"], first["violations"]) == (0, [])
    assert list(SLAWarning.objects.filter(ticket=risky).values_list("kind", flat=True)) == ["first_response"]


def test_a_stopped_clock_records_nothing(agent_api, category):
    now = timezone.now()
    waiting = TicketFactory(
        category=category,
        status="pending",
        sla_policy=SLAPolicyFactory(),
        first_response_due_at=now - timedelta(hours=1),
        resolution_due_at=now - timedelta(minutes=5),
    )

    body = agent_api.post("/api/support/sla", {"ticket_id": waiting.pk}, format="json").json()

    assert (body["new_violations"], body["violations"]) == (0, [])
    assert not SLAViolation.objects.filter(ticket=waiting).exists()


def test_a_violation_keeps_the_policy_it_was_recorded_under(agent_api, overdue):
    """The ticket moved to another policy (or to none) after a violation was recorded: the
    check names the ticket's current policy, and each violation its own."""
    agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json")
    old = SLAViolation.objects.get().policy
    overdue.sla_policy = SLAPolicyFactory(name="Premium")
    overdue.save()

    body = agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json").json()
    assert (body["policy"], [v["policy"] for v in body["violations"]]) == ("Premium", [old.name])

    overdue.sla_policy = None
    overdue.save()
    body = agent_api.post("/api/support/sla", {"ticket_id": overdue.pk}, format="json").json()
    assert (body["policy"], [v["policy"] for v in body["violations"]]) == (None, [old.name])


def test_a_check_of_a_ticket_that_does_not_exist_or_is_not_a_number_is_404(agent_api, integration_api, category):
    assert agent_api.post("/api/support/sla", {"ticket_id": 987654}, format="json").status_code == 404
    assert agent_api.post("/api/support/sla", {"ticket_id": 2**63}, format="json").status_code == 404
    assert agent_api.post("/api/support/sla", {"ticket_id": 10**30}, format="json").status_code == 404
    assert integration_api.post("/api/support/sla", {"ticket_id": 987654}, format="json").status_code == 404
