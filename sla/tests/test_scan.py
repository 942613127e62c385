"""Acceptance 3: the scan is set-based, idempotent and safe when run twice at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.tests.factories import AgentFactory
from notifications.models import Notification
from sla.models import SLAScanRun, SLAViolation, SLAWarning
from sla.scan import sla_scan
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Ticket

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def overdue_tickets(count: int, *, category, policy, agent=None, **fields) -> list[Ticket]:
    """Tickets whose first response and resolution were both due an hour ago."""
    values = {
        "subject": "Overdue",
        "description": "Waiting for too long.",
        "customer_email": "c@example.org",
        "category": category,
        "status": "open",
        "sla_policy": policy,
        "assigned_agent": agent,
        "created_at": NOW - timedelta(hours=30),
        "first_response_due_at": NOW - timedelta(hours=1),
        "resolution_due_at": NOW - timedelta(hours=1),
        "first_response_at_risk_at": NOW - timedelta(hours=2),
        "resolution_at_risk_at": NOW - timedelta(hours=2),
        **fields,
    }
    # In batches: a statement takes at most 65,535 parameters (a ticket has 35 columns).
    return Ticket.objects.bulk_create([Ticket(**values) for _ in range(count)], batch_size=1000)


@pytest.fixture
def team(db, category):
    return {
        "agent": AgentFactory(specializations=[category]),
        "supervisor": AgentFactory(role="supervisor", specializations=[category]),
        "policy": SLAPolicyFactory(),
    }


def count_statements(**scan_kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        result = sla_scan(**scan_kwargs)
    return len(queries), result


@pytest.mark.django_db
def test_the_scan_runs_the_same_statements_for_10_and_2000_tickets(team, category, settings):
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    overdue_tickets(10, category=category, policy=team["policy"], agent=team["agent"])
    small, small_result = count_statements(now=NOW)
    overdue_tickets(2000, category=category, policy=team["policy"], agent=team["agent"])
    large, large_result = count_statements(now=NOW + timedelta(seconds=1))

    assert small_result.violations == 20
    assert large_result.violations == 4000
    # per violation: email + dashboard for the agent and the supervisor, and one Slack message
    assert large_result.notifications == 4000 * 5
    assert small == large
    assert large <= 10


@pytest.mark.django_db
def test_each_violation_is_recorded_and_notified_once_across_runs(team, category):
    overdue_tickets(3, category=category, policy=team["policy"], agent=team["agent"])

    first = sla_scan(now=NOW)
    again = sla_scan(now=NOW + timedelta(minutes=1))
    later = sla_scan(now=NOW + timedelta(hours=5))

    assert first.violations == 6
    assert (again.violations, later.violations, again.notifications, later.notifications) == (0, 0, 0, 0)
    assert SLAViolation.objects.count() == 6
    assert Notification.objects.count() == 6 * 4  # email and dashboard, agent and supervisor
    assert SLAScanRun.objects.count() == 3


@pytest.mark.django_db
def test_a_supervisor_assigned_to_the_ticket_is_told_once(team, category):
    overdue_tickets(
        1,
        category=category,
        policy=team["policy"],
        agent=team["supervisor"],
        resolution_due_at=NOW + timedelta(hours=9),
    )

    sla_scan(now=NOW)

    rows = Notification.objects.filter(kind="sla.violation.first_response")
    assert sorted((n.channel, n.recipient) for n in rows) == sorted(
        [
            ("email", team["supervisor"].email),
            ("dashboard", team["supervisor"].user.username),
        ]
    )
    email = rows.get(channel="email")
    assert email.payload["ticket_id"] == Ticket.objects.get().pk
    assert email.details["title"].startswith("SLA breached: first response on #")
    assert rows.get(channel="dashboard").status == "sent"


@pytest.mark.django_db
def test_alerts_carry_facts_and_name_the_ticket_when_read(team, category):
    [ticket] = overdue_tickets(
        1, category=category, policy=team["policy"], agent=team["agent"], subject="Printer on fire", priority="high"
    )

    sla_scan(now=NOW)

    for row in Notification.objects.filter(kind="sla.violation.resolution"):
        # what is copied into ~5 rows per event: the ticket and the due time, nothing else
        assert set(row.payload) == {"ticket_id", "due_at"}
        assert row.payload["ticket_id"] == ticket.pk
        assert "Printer on fire" not in str(row.payload)
        # what people read is looked up from the ticket
        assert row.details["title"] == f"SLA breached: resolution on #{ticket.pk} Printer on fire"
        assert row.details["url"].endswith(f"/agent/tickets/{ticket.pk}")
        assert (row.details["priority"], row.details["customer_email"]) == ("high", "c@example.org")
        assert row.details["detected_at"].startswith("2026-11-30T12:00:00")


@pytest.mark.django_db
def test_at_risk_tickets_are_warned_once_and_only_before_they_are_due(team, category):
    overdue_tickets(
        1,
        category=category,
        policy=team["policy"],
        agent=team["agent"],
        first_response_due_at=NOW + timedelta(minutes=30),
        resolution_due_at=NOW + timedelta(hours=5),
        first_response_at_risk_at=NOW - timedelta(minutes=5),
        resolution_at_risk_at=NOW + timedelta(hours=3),
    )

    first = sla_scan(now=NOW)
    second = sla_scan(now=NOW + timedelta(minutes=10))

    assert (first.warnings, first.violations, second.warnings) == (1, 0, 0)
    assert SLAWarning.objects.get().kind == "first_response"
    assert Notification.objects.filter(kind="sla.at_risk.first_response", channel="email").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"status": "pending"},
        {"status": "on_hold"},
        {"status": "resolved", "resolved_at": NOW},
        {"status": "closed", "resolved_at": NOW, "closed_at": NOW},
        {"sla_policy": None, "first_response_due_at": None, "resolution_due_at": None},
    ],
)
def test_tickets_whose_clock_is_stopped_or_without_policy_are_not_scanned(team, category, fields):
    overdue_tickets(1, category=category, policy=team["policy"], **fields)

    assert sla_scan(now=NOW).violations == 0


@pytest.mark.django_db
def test_a_responded_ticket_can_only_breach_resolution(team, category):
    overdue_tickets(1, category=category, policy=team["policy"], first_responded_at=NOW - timedelta(hours=3))

    sla_scan(now=NOW)

    assert list(SLAViolation.objects.values_list("kind", flat=True)) == ["resolution"]


@pytest.mark.django_db
def test_slack_rows_name_the_webhook_rather_than_copy_it(team, category, settings):
    settings.SLACK_WEBHOOK_URL = ""
    own_hook = SLAPolicyFactory(priority="urgent", slack_webhook_url="https://hooks.example.com/secret")
    overdue_tickets(1, category=category, policy=own_hook, priority="urgent")
    overdue_tickets(1, category=category, policy=team["policy"])  # no webhook anywhere: no Slack row

    sla_scan(now=NOW)

    slack = Notification.objects.filter(channel="slack")
    assert set(slack.values_list("recipient", flat=True)) == {f"policy:{own_hook.pk}"}
    assert slack.count() == 2  # first response and resolution of the urgent ticket
    assert "secret" not in str(list(slack.values_list("payload", flat=True)))


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_record_and_notify_once(category):
    team = {
        "agent": AgentFactory(specializations=[category]),
        "supervisor": AgentFactory(role="supervisor", specializations=[category]),
    }
    overdue_tickets(200, category=category, policy=SLAPolicyFactory(), agent=team["agent"])
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    results = []

    def scan() -> None:
        try:
            start.wait()
            results.append(sla_scan(now=NOW))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.violations for r in results) == 400
    assert SLAViolation.objects.count() == 400
    assert Notification.objects.count() == 400 * 4
    assert sum(r.notifications for r in results) == 400 * 4


@pytest.mark.django_db
def test_the_command_prints_what_it_found(team, category, capsys):
    overdue_tickets(2, category=category, policy=team["policy"], agent=team["agent"])

    with time_machine.travel(NOW, tick=False):
        call_command("sla_scan")

    assert "4 new violations, 0 new at-risk warnings, 16 notifications queued" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_failing_scan_raises_and_records_nothing(team, category, monkeypatch):
    import sla.queries

    overdue_tickets(2, category=category, policy=team["policy"], agent=team["agent"])
    # The notification rows break a constraint: they are written after the violations (in
    # the same statement on PostgreSQL, in a later one elsewhere).
    for name in ("_SCAN", "_NOTIFICATIONS"):
        monkeypatch.setattr(sla.queries, name, getattr(sla.queries, name).replace("'sent'", "'bogus'"))

    with pytest.raises(Exception, match="notification_status_valid"):
        sla_scan(now=NOW)
    assert not SLAViolation.objects.exists()  # the violations insert was rolled back with it
    assert not Notification.objects.exists()
    assert not SLAScanRun.objects.exists()
