"""Webhooks delivered through the outbox to a real receiver on loopback: signed, retried on
what may pass (500, 429, timeouts, a receiver down), dead on what will not (4xx, a refused
address, a deleted or inactive webhook), and, per ordering key, in order."""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core import outbound
from notifications.delivery import claim_batch, notification_deliver, notifications_deliver, notifications_deliver_due
from notifications.models import Channel, DeliveryStatus, Notification, Webhook
from notifications.signatures import sign, verify
from notifications.tests.receivers import Receiver
from notifications.webhooks import webhook_create, webhooks_enqueue


@pytest.fixture
def receiver():
    outbound.close_all()
    server = Receiver()
    yield server
    outbound.close_all()
    server.close()


@pytest.fixture
def hook(db, receiver):
    return webhook_create(name="CRM", url=receiver.url, events=["ticket.created", "ticket.updated"])


TICKET = {"ticket": {"id": 7, "number": 7, "subject": "Printer on fire", "status": "new"}}


def enqueue(django_capture_on_commit_callbacks, **arguments) -> list[Notification]:
    """Queue an event as a caller's transaction does; on commit it is dispatched (and, with
    the suite's eager Celery, delivered)."""
    before = set(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_enqueue(**{"event": "ticket.created", "data": TICKET, **arguments})
    return list(Notification.objects.exclude(pk__in=before).order_by("pk"))


# --- Signatures ----------------------------------------------------------------------------


def test_it_signs_the_timestamp_and_the_body_with_hmac_sha256():
    body = b'{"id":"1","event":"ping"}'

    header = sign("s3cret", 1_700_000_000, body)

    digest = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={digest}"
    assert verify("s3cret", header, body, now=1_700_000_100)
    assert not verify("s3cret", header, body + b" ", now=1_700_000_100)  # tampered body
    assert not verify("other", header, body, now=1_700_000_100)  # another secret
    assert not verify("s3cret", header, body, now=1_700_000_000 + 301)  # too old: a replay
    assert not verify("s3cret", "v1=" + digest, body)  # no timestamp


# --- Delivered ---------------------------------------------------------------------------------


def test_it_posts_signed_json_naming_the_delivery(hook, receiver, django_capture_on_commit_callbacks):
    [row] = enqueue(django_capture_on_commit_callbacks, ordering_key="ticket:7")

    [request] = receiver.received
    assert request.json == {
        "id": str(row.pk),
        "event": "ticket.created",
        "created_at": row.created_at.isoformat(),
        "data": TICKET,
    }
    assert request.headers["Content-Type"] == "application/json"
    assert (request.event, request.delivery) == ("ticket.created", str(row.pk))
    assert verify(hook.secret, request.signature, request.body)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status, row.recipient) == ("sent", 1, 200, f"webhook:{hook.pk}")
    assert row.latency_ms is not None and row.latency_ms >= 0


def test_a_500_is_retried_with_backoff_then_delivered_as_the_same_delivery(
    hook, receiver, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    receiver.responses = [(500, {}, 0.0)]

    before = timezone.now()
    [row] = enqueue(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status, row.last_error) == ("failed", 1, 500, "webhook answered 500")
    assert before + timedelta(seconds=30) <= row.next_attempt_at <= timezone.now() + timedelta(seconds=60)
    assert notifications_deliver_due() == {}  # not due yet

    assert notifications_deliver_due(now=row.next_attempt_at) == {"sent": 1}

    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status, row.last_error) == ("sent", 2, 200, "")
    assert [r.delivery for r in receiver.received] == [str(row.pk)] * 2  # the receiver dedupes on it


def test_a_timeout_is_retried(hook, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.responses = [(200, {}, 1.0)]

    [row] = enqueue(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.response_status) == ("failed", None)
    assert row.last_error.startswith("webhook unreachable")
    assert 250 <= row.latency_ms < 1000
    assert notifications_deliver_due(now=row.next_attempt_at) == {"sent": 1}


def test_a_receiver_down_is_retried(db, closed_port, django_capture_on_commit_callbacks):
    webhook_create(name="Down", url=f"http://127.0.0.1:{closed_port}/hook", events=["ticket.created"])

    [row] = enqueue(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "unreachable" in row.last_error and "Connection refused" in row.last_error


def test_a_429_waits_as_long_as_retry_after_says(hook, receiver, django_capture_on_commit_callbacks):
    receiver.responses = [(429, {"Retry-After": "600"}, 0.0)]

    [row] = enqueue(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.response_status) == ("failed", 429)
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=590)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_other_4xx_and_redirects_are_dead_at_once(hook, receiver, status, django_capture_on_commit_callbacks):
    receiver.default = (status, {}, 0.0)

    [row] = enqueue(django_capture_on_commit_callbacks)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == ("dead", 1, status)
    assert row.last_error == f"webhook answered {status}"
    assert notifications_deliver_due(now=timezone.now() + timedelta(days=1)) == {}
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is a cloud metadata address"),
        ("https://10.0.0.1/hook", "10.0.0.1 is a private or reserved address"),
        ("http://127.0.0.1:9/hook", "only https URLs can be called"),
    ],
)
def test_an_address_the_policy_refuses_is_dead_and_never_called(db, settings, url, reason):
    settings.OUTGOING_URL_ALLOWLIST = []
    webhook = Webhook(name="Internal", url=url, events=["ticket.created"])  # as if saved before the rule
    webhook.save()
    row = Notification.objects.create(channel=Channel.WEBHOOK, recipient=webhook.recipient, kind="ticket.created")

    assert notification_deliver(notification_id=row.pk) == "dead"

    row.refresh_from_db()
    assert row.last_error.startswith("refused by policy: ") and reason in row.last_error
    assert row.response_status is None


def test_an_inactive_or_deleted_webhook_ends_its_rows_dead_saying_so(hook, receiver):
    rows = [
        Notification.objects.create(channel=Channel.WEBHOOK, recipient=hook.recipient, kind="ticket.created"),
        Notification.objects.create(channel=Channel.WEBHOOK, recipient="webhook:999999", kind="ticket.created"),
    ]
    hook.active = False
    hook.save()

    assert notifications_deliver(notification_ids=[r.pk for r in rows]) == {"dead": 2}

    errors = [Notification.objects.get(pk=r.pk).last_error for r in rows]
    assert errors == [f"webhook webhook:{hook.pk} is inactive", "webhook webhook:999999 no longer exists"]
    assert receiver.received == []


def test_slack_rows_record_their_answer_too(db, fake_slack):
    fake_slack.responses = [(503, {}, 0.0)]
    row = Notification.objects.create(channel=Channel.SLACK, recipient="default", kind="sla.violation", payload={})

    notification_deliver(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.response_status) == ("failed", 503)
    notifications_deliver_due(now=row.next_attempt_at)

    row.refresh_from_db()
    assert (row.status, row.response_status) == ("sent", 200)
    assert row.latency_ms is not None


# --- Enqueue -------------------------------------------------------------------------------


def test_it_queues_a_row_per_active_webhook_subscribed_to_the_event(db, receiver, django_capture_on_commit_callbacks):
    subscribed = webhook_create(name="A", url=receiver.url, events=["ticket.created"])
    webhook_create(name="B", url=receiver.url, events=["ticket.updated"])
    webhook_create(name="C", url=receiver.url, events=["ticket.created"], active=False)
    also = webhook_create(name="D", url=receiver.url, events=["message.created", "ticket.created"])

    rows = enqueue(django_capture_on_commit_callbacks, ordering_key="ticket:7")

    assert [(r.recipient, r.kind, r.payload, r.ordering_key) for r in rows] == [
        (f"webhook:{subscribed.pk}", "ticket.created", {"data": TICKET}, "ticket:7"),
        (f"webhook:{also.pk}", "ticket.created", {"data": TICKET}, "ticket:7"),
    ]
    assert sorted(r.delivery for r in receiver.received) == sorted(str(r.pk) for r in rows)


def test_an_explicit_call_reaches_that_webhook_whatever_its_events(db, receiver, django_capture_on_commit_callbacks):
    webhook_create(name="A", url=receiver.url, events=["trigger.fired"])
    called = webhook_create(name="B", url=receiver.url, events=[])

    [row] = enqueue(
        django_capture_on_commit_callbacks, event="trigger.fired", data={"rule": "VIP"}, webhook_id=called.pk
    )

    assert (row.recipient, row.kind) == (f"webhook:{called.pk}", "trigger.fired")
    assert [r.json["data"] for r in receiver.received] == [{"rule": "VIP"}]


def test_an_unknown_event_is_a_programming_error(db):
    with pytest.raises(ValueError, match=r"unknown webhook event 'ticket\.deleted'"):
        webhooks_enqueue(event="ticket.deleted", data={})
    with pytest.raises(ValueError, match="unknown webhook event 'ping'"):
        webhooks_enqueue(event="ping", data={})  # only the API's test sends it, to one webhook


def test_an_event_nobody_subscribes_to_costs_no_query(db, receiver, django_assert_num_queries):
    webhook_create(name="A", url=receiver.url, events=["ticket.updated"])
    webhooks_enqueue(event="ticket.created", data={})  # reads the webhooks once for this process

    with django_assert_num_queries(0):
        assert webhooks_enqueue(event="ticket.created", data={}) == 0
        assert webhooks_enqueue(event="message.created", data={}) == 0
    with django_assert_num_queries(1):  # the one INSERT ... SELECT
        assert webhooks_enqueue(event="ticket.updated", data={}) == 1


def test_a_new_or_changed_webhook_is_seen_at_once(db, receiver):
    assert webhooks_enqueue(event="ticket.created", data={}) == 0  # kept: none

    webhook = webhook_create(name="A", url=receiver.url, events=["ticket.created"])
    assert webhooks_enqueue(event="ticket.created", data={}) == 1

    webhook.events = ["ticket.updated"]
    webhook.save()
    assert webhooks_enqueue(event="ticket.created", data={}) == 0
    webhook.delete()
    assert webhooks_enqueue(event="ticket.updated", data={}) == 0


def test_a_rolled_back_change_sends_nothing(hook, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        webhooks_enqueue(event="ticket.created", data=TICKET)
        transaction.set_rollback(True)

    assert not Notification.objects.exists()
    assert receiver.received == []


# --- Order per key -------------------------------------------------------------------------


def test_a_keyed_row_waits_while_an_older_row_of_its_key_is_pending_or_failed(db):
    first, second = (
        Notification.objects.create(channel=Channel.WEBHOOK, recipient="webhook:1", kind="k", ordering_key="ticket:1")
        for _ in range(2)
    )
    other = Notification.objects.create(channel=Channel.WEBHOOK, recipient="webhook:1", kind="k", ordering_key="t:2")
    unkeyed = Notification.objects.create(channel=Channel.WEBHOOK, recipient="webhook:1", kind="k")
    now = timezone.now()

    assert [r.pk for r in claim_batch(now, 10)] == [first.pk, other.pk, unkeyed.pk]

    retry_at = now + timedelta(minutes=1)
    Notification.objects.filter(pk=first.pk).update(status="failed", claimed_until=None, next_attempt_at=retry_at)
    assert claim_batch(now, 10) == []  # the failed one is not due yet, and the second waits for it
    assert notification_deliver(notification_id=second.pk, now=now) is None  # the single claim agrees

    Notification.objects.filter(pk=first.pk).update(status="dead")  # dead rows hold nothing back
    assert [r.pk for r in claim_batch(now, 10)] == [second.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_deliver_a_later_row_of_a_key_before_an_earlier_one(receiver, settings):
    """Six workers, half claiming rows one by one by id (as dispatched), half sweeping
    batches, over 8 tickets' 6 events each; the first event of every ticket is answered 500
    once. Each ticket's events arrive in order, the failed first one retried before the
    second is ever sent."""
    webhook = webhook_create(name="Ordered", url=receiver.url, events=["ticket.updated"])
    answered_500: set[int] = set()

    def script(body: dict) -> tuple[int, dict, float]:
        ticket, sequence = body["data"]["ticket"], body["data"]["sequence"]
        if sequence == 0 and ticket not in answered_500:
            answered_500.add(ticket)
            return 500, {}, 0.0
        return 200, {}, random.uniform(0, 0.01)  # nosec B311

    receiver.script = script
    tickets, events = 8, 6
    for sequence in range(events):
        for ticket in range(tickets):
            with transaction.atomic():
                webhooks_enqueue(
                    event="ticket.updated",
                    data={"ticket": ticket, "sequence": sequence},
                    ordering_key=f"ticket:{ticket}",
                )
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    later = timezone.now() + timedelta(hours=2)  # retries due at once: the test need not wait
    errors: list[BaseException] = []

    def work(one_by_one: bool) -> None:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if one_by_one:
                    for pk in random.sample(ids, len(ids)):
                        notification_deliver(notification_id=pk, now=later)
                else:
                    notifications_deliver_due(now=later, limit=7)
                if not Notification.objects.exclude(status=DeliveryStatus.SENT).exists():
                    return
        except BaseException as error:  # reported by the test below
            errors.append(error)
        finally:
            outbound.close_all()
            connection.close()

    workers = [threading.Thread(target=work, args=(n % 2 == 0,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert not errors
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    for ticket in range(tickets):
        arrivals = [
            (r.json["data"]["sequence"], r.answered) for r in receiver.received if r.json["data"]["ticket"] == ticket
        ]
        assert arrivals == [(0, 500)] + [(sequence, 200) for sequence in range(events)], ticket
    assert webhook.pk and len({r.delivery for r in receiver.received}) == tickets * events
