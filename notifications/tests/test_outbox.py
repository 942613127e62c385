"""The outbox: at-least-once delivery with retries, backoff, dead rows and re-queueing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications.delivery import claim_one, notification_deliver, notifications_deliver_due, retry_delay
from notifications.models import Notification
from notifications.services import email_enqueue, notifications_requeue
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_refused(settings, closed_port):
    """Real SMTP backend pointed at a port where nothing listens: every send fails."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port
    settings.EMAIL_TIMEOUT = 2


def test_a_row_is_delivered_once(settings):
    row = NotificationFactory(recipient="jane@example.org")

    assert notification_deliver(notification_id=row.pk) == "sent"
    assert notification_deliver(notification_id=row.pk) is None  # already sent: nothing to do

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at is not None
    assert [m.to for m in mail.outbox] == [["jane@example.org"]]


def test_rows_are_written_in_the_callers_transaction_and_dispatched_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_enqueue(to="a@example.org", kind="t", template="tickets/email/ticket_links", context={"tickets": []})

    assert len(callbacks) == 1
    assert mail.outbox == []  # not before commit
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    captured = django_capture_on_commit_callbacks(execute=True)
    with captured, pytest.raises(RuntimeError), transaction.atomic():
        NotificationFactory()
        email_enqueue(to="a@example.org", kind="t", template="tickets/email/ticket_links", context={"tickets": []})
        raise RuntimeError("the change failed")

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_failed_attempt_is_retried_later_with_backoff(smtp_refused):
    row = NotificationFactory()
    before = timezone.now()

    assert notification_deliver(notification_id=row.pk) == "failed"

    row.refresh_from_db()
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > before
    assert row.claimed_until is None
    # not due yet: the sweeper leaves it alone
    assert notifications_deliver_due() == {}


def test_after_the_last_attempt_the_row_is_dead(smtp_refused, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    row = NotificationFactory()

    statuses = []
    for _ in range(3):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        statuses.append(notification_deliver(notification_id=row.pk))

    assert statuses == ["failed", "failed", "dead"]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("dead", 3)


def test_a_failure_not_worth_retrying_is_dead_at_once():
    row = NotificationFactory(channel="slack", recipient="default")  # SLACK_WEBHOOK_URL is empty

    assert notification_deliver(notification_id=row.pk) == "dead"
    assert "no Slack webhook configured" in Notification.objects.get(pk=row.pk).last_error


def test_dead_rows_can_be_requeued_and_then_delivered():
    row = NotificationFactory(status="dead", attempts=8, last_error="boom")

    assert notifications_requeue(notification_ids=[row.pk]) == 1
    assert notifications_deliver_due() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_two_workers_never_hold_the_same_row():
    row = NotificationFactory()
    now = timezone.now()

    assert claim_one(row.pk, now) is True
    assert claim_one(row.pk, now) is False


def test_a_crashed_workers_row_is_picked_up_after_its_claim_expires():
    row = NotificationFactory(claimed_until=timezone.now() - timedelta(seconds=1))

    assert notifications_deliver_due() == {"sent": 1}
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_live_claim_is_respected_by_the_sweeper():
    NotificationFactory(claimed_until=timezone.now() + timedelta(minutes=5))

    assert notifications_deliver_due() == {}
    assert mail.outbox == []


def test_a_lost_dispatch_is_delivered_by_the_sweeper():
    NotificationFactory.create_batch(3)  # written, but no task ever ran for them

    assert notifications_deliver_due() == {"sent": 3}
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("attempts", range(1, 12))
def test_backoff_grows_exponentially_within_its_cap(settings, attempts):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    ceiling = min(3600, 30 * 2 ** (attempts - 1))

    delays = {retry_delay(attempts).total_seconds() for _ in range(20)}

    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(delays) > 1  # jitter


def test_dashboard_notifications_are_delivered_by_being_written(agent):
    from notifications.services import notification_enqueue

    row = notification_enqueue(channel="dashboard", recipient="agent", user=agent.user, kind="t", payload={})

    assert Notification.objects.get(pk=row.pk).status == "sent"


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_take_disjoint_rows():
    import threading

    from django.db import connection

    from notifications.delivery import claim_due

    NotificationFactory.create_batch(100)
    start = threading.Barrier(2)
    claimed: list[list[int]] = []

    def worker() -> None:
        try:
            start.wait()
            claimed.append(claim_due(now=timezone.now(), limit=100))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    first, second = claimed
    assert set(first).isdisjoint(second)
    assert len(first) + len(second) == 100


def test_rows_already_sent_by_another_worker_are_not_sent_again():
    NotificationFactory.create_batch(3)
    seen_by_first_worker = list(Notification.objects.values_list("pk", flat=True))

    assert notifications_deliver_due() == {"sent": 3}  # a second worker got there first
    assert [claim_one(pk, timezone.now()) for pk in seen_by_first_worker] == [False, False, False]
    assert len(mail.outbox) == 3


def test_an_unexpected_error_is_counted_and_retried(monkeypatch):
    from notifications import channels

    row = NotificationFactory()
    monkeypatch.setattr(channels.EmailChannel, "send", lambda self, n: 1 / 0)

    assert notifications_deliver_due() == {"failed": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_until) == ("failed", 1, None)
    assert "ZeroDivisionError" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_share_the_queue_and_send_each_row_once():
    import threading

    from django.db import connection

    rows = NotificationFactory.create_batch(120)
    start = threading.Barrier(3)
    outcomes: list[dict[str, int]] = []

    def sweeper() -> None:
        try:
            start.wait()
            outcomes.append(notifications_deliver_due(limit=1000))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(outcome.get("sent", 0) for outcome in outcomes) == 120
    assert sorted(int(m.extra_headers["X-Helpdesk-Notification"]) for m in mail.outbox) == sorted(r.pk for r in rows)
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_sweep_stops_at_its_limit_and_the_task_carries_on(monkeypatch):
    from notifications import tasks

    NotificationFactory.create_batch(7)

    assert notifications_deliver_due(limit=3) == {"sent": 3}
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 2)
    tasks.deliver_due_notifications.delay()  # 2, then a fresh task for 2 more, ... (eager in tests)
    assert len(mail.outbox) == 7
    assert not Notification.objects.exclude(status="sent").exists()


def _statements(queries, start: str, containing: str) -> int:
    return sum(q["sql"].lstrip().startswith(start) and containing in q["sql"] for q in queries)


def test_a_sweep_claims_small_batches_and_marks_each_batch_sent_in_one_statement():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.delivery import claim_batch_size

    rows = NotificationFactory.create_batch(45)
    size = claim_batch_size()
    batches = -(-45 // size)

    with CaptureQueriesContext(connection) as captured:
        assert notifications_deliver_due() == {"sent": 45}

    assert 1 < size < 45
    assert _statements(captured.captured_queries, "UPDATE", '"sent_at"') == batches
    # One statement claims a batch (and one finds nothing left).
    assert _statements(captured.captured_queries, "WITH due", "SKIP LOCKED") == batches + 1
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert sorted(int(m.extra_headers["X-Helpdesk-Notification"]) for m in mail.outbox) == [r.pk for r in rows]


@pytest.mark.parametrize(
    ("claim_seconds", "slack_timeout", "email_timeout", "webhook_timeout", "size"),
    [
        (300, 5, 10, 1, 15),
        (300, 5, None, 1, 20),
        (60, 5, 10, 1, 3),
        (600, 30, 10, 1, 10),
        (10, 5, 10, 1, 1),
        (5, 30, 10, 1, 1),
        (300, 5, None, 10, 15),  # the webhooks' timeout counts as much as the others
        (600, 5, 10, 30, 10),
    ],
)
def test_a_batch_is_only_as_large_as_its_claim_covers_at_the_send_timeouts(
    settings, claim_seconds, slack_timeout, email_timeout, webhook_timeout, size
):
    from notifications.delivery import claim_batch_size

    settings.NOTIFICATION_CLAIM_SECONDS = claim_seconds
    settings.SLACK_TIMEOUT_SECONDS = slack_timeout
    settings.EMAIL_TIMEOUT = email_timeout
    settings.WEBHOOK_TIMEOUT_SECONDS = webhook_timeout

    assert claim_batch_size() == size
    assert size == 1 or size * max(slack_timeout, email_timeout or 0, webhook_timeout) <= claim_seconds / 2


def test_rows_of_a_batch_whose_sends_ran_slow_are_handed_back_unsent(fake_slack, settings):
    from notifications.delivery import _deliver_batch, claim_batch

    settings.NOTIFICATION_CLAIM_SECONDS = 3
    settings.SLACK_TIMEOUT_SECONDS = 1
    settings.EMAIL_TIMEOUT = None  # sends may take 1 s: rows are sent only in the claim's first 3 - 2 x 1 s
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    fake_slack.responses = [(200, {}, 0.7), (200, {}, 0.5)]
    rows = [
        NotificationFactory(channel="slack", recipient="default", payload={"title": f"SLA breached on #{n}"})
        for n in (1, 2, 3)
    ]
    now = timezone.now()

    assert _deliver_batch(claim_batch(now, 3), now) == ["sent", "sent"]

    last = Notification.objects.get(pk=rows[2].pk)
    assert (last.status, last.attempts, last.claimed_until) == ("pending", 0, None)  # back in the queue
    assert len(fake_slack.received) == 2
    assert notifications_deliver_due() == {"sent": 1}
    assert sorted(m["text"].split("#")[1][0] for m in fake_slack.received) == ["1", "2", "3"]


def test_a_sweep_interrupted_mid_batch_marks_what_it_sent_and_hands_back_what_it_never_tried(monkeypatch):
    from notifications import channels

    rows = NotificationFactory.create_batch(6)
    sent = []

    def send(self, notification):
        if len(sent) == 2:
            raise KeyboardInterrupt  # the worker is stopped in the middle of the third send
        sent.append(notification.pk)

    monkeypatch.setattr(channels.EmailChannel, "send", send)

    with pytest.raises(KeyboardInterrupt):
        notifications_deliver_due()

    state = {n.pk: (n.status, n.claimed_until is not None) for n in Notification.objects.all()}
    assert [state[r.pk] for r in rows] == [
        ("sent", False),
        ("sent", False),
        ("pending", True),  # its send was under way: it keeps its claim until the claim expires
        ("pending", False),
        ("pending", False),
        ("pending", False),
    ]


@pytest.mark.parametrize(("rows", "tasks"), [(None, 4), (1, 1), (5, 1), (21, 2), (10_000, 4)])
def test_delivery_is_asked_of_as_many_workers_as_the_queued_rows_need(rows, tasks, settings, monkeypatch):
    from notifications import services
    from notifications.tasks import deliver_due_notifications

    settings.NOTIFICATION_PARALLEL_SWEEPS = 4
    sent = []
    monkeypatch.setattr(deliver_due_notifications, "delay", lambda: sent.append(1))

    services.dispatch_due() if rows is None else services.dispatch_due(rows=rows)

    assert len(sent) == tasks
