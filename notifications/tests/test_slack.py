"""Acceptance 4: Slack delivery against a local stand-in, retries, dead rows, crashed workers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.delivery import claim_due, notifications_deliver_due
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "type": "violation",
    "kind": "first_response",
    "ticket_id": 42,
    "subject": "Printer on fire",
    "priority": "urgent",
    "customer_email": "c@example.org",
    "due_at": "2026-11-30T11:00:00+00:00",
    "title": "SLA breached: first response on #42 Printer on fire",
    "url": "http://helpdesk.example.com/admin/tickets/ticket/42/change/",
}


def slack_row(**fields) -> Notification:
    values = {"channel": "slack", "recipient": "default", "kind": "sla.violation.first_response", "payload": PAYLOAD}
    return NotificationFactory(**{**values, **fields})


def run_until_settled(row: Notification, *, max_runs: int = 20) -> list[timedelta]:
    """Run the sweeper each time the row is next due; return the waits between attempts."""
    waits = []
    now = timezone.now()
    for _ in range(max_runs):
        notifications_deliver_due(now=now)
        row.refresh_from_db()
        if row.status in ("sent", "dead"):
            break
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    return waits


def test_a_slack_message_names_the_ticket_and_how_late(fake_slack):
    row = slack_row()

    notifications_deliver_due()

    row.refresh_from_db()
    assert row.status == "sent"
    [message] = fake_slack.received
    assert "#42" in message["text"] and "Printer on fire" in message["text"]
    assert "SLA breached: first response" in message["text"]
    assert PAYLOAD["url"] in message["text"]


def test_two_500s_then_200_ends_sent_after_exactly_three_attempts_with_backoff(fake_slack, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    fake_slack.responses = [(500, {}, 0), (500, {}, 0)]
    row = slack_row()

    waits = run_until_settled(row)

    assert (row.status, row.attempts) == ("sent", 3)
    assert len(fake_slack.received) == 3
    # backoff with jitter: 15-30 s after the first failure, 30-60 s after the second
    assert timedelta(seconds=15) <= waits[0] <= timedelta(seconds=30)
    assert timedelta(seconds=30) <= waits[1] <= timedelta(seconds=60)


def test_a_receiver_that_never_says_yes_leaves_the_row_dead_after_the_configured_attempts(fake_slack, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    fake_slack.default = (503, {}, 0)
    row = slack_row()

    run_until_settled(row)

    assert (row.status, row.attempts) == ("dead", 4)
    assert len(fake_slack.received) == 4
    assert "503" in row.last_error


def test_a_client_error_is_not_retried(fake_slack):
    fake_slack.default = (404, {}, 0)  # the webhook was deleted
    row = slack_row()

    run_until_settled(row)

    assert (row.status, row.attempts) == ("dead", 1)


def test_a_429_waits_at_least_as_long_as_retry_after(fake_slack, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 1
    fake_slack.responses = [(429, {"Retry-After": "120"}, 0)]
    row = slack_row()

    waits = run_until_settled(row)

    assert waits[0] >= timedelta(seconds=120)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_slow_slack_is_cut_off_by_the_timeout_and_retried(fake_slack, settings):
    settings.SLACK_TIMEOUT_SECONDS = 0.3
    fake_slack.responses = [(200, {}, 2.0)]
    row = slack_row()
    started = timezone.now()

    notifications_deliver_due()

    row.refresh_from_db()
    assert timezone.now() - started < timedelta(seconds=1.5)
    assert row.status == "failed"
    assert "Slack unreachable" in row.last_error


def test_a_row_claimed_by_a_worker_that_died_is_delivered_by_the_next_run(fake_slack, settings):
    settings.NOTIFICATION_CLAIM_SECONDS = 300
    row = slack_row()
    now = timezone.now()
    assert claim_due(now=now, limit=10) == [row.pk]  # the worker claims it... and is killed

    assert notifications_deliver_due(now=now + timedelta(seconds=10)) == {}  # its claim still holds
    outcome = notifications_deliver_due(now=now + timedelta(seconds=301))  # the claim has expired

    assert outcome == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(fake_slack.received) == 1


def test_a_policy_webhook_is_used_for_its_rows(fake_slack, settings):
    from sla.tests.factories import SLAPolicyFactory

    settings.SLACK_WEBHOOK_URL = ""
    policy = SLAPolicyFactory(slack_webhook_url=fake_slack.url)
    row = slack_row(recipient=f"policy:{policy.pk}")

    notifications_deliver_due()

    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_slack.received) == 1
