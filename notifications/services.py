"""Writing and delivering outbox rows.

Life of a row:
1. `notification_enqueue` inserts it (status pending) inside the caller's transaction and
   asks, on commit, for a worker to deliver it; nothing is sent for a rolled-back change.
2. `notification_deliver` claims it with one conditional UPDATE (deliverable, due, and not
   claimed by a live worker), so two workers never send the same row at the same time.
3. The channel sends it. Success: sent. A retryable failure: failed, with the next attempt
   after an exponential backoff with jitter. Past NOTIFICATION_MAX_ATTEMPTS, or a failure
   not worth retrying: dead, until an administrator re-queues it.
4. `notifications_deliver_due`, run by beat every minute, delivers whatever is due: rows
   whose dispatch was lost (broker down at commit time), retries, and rows of a crashed
   worker, whose claim has expired.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from helpdesk.metrics import notifications_delivered
from notifications.channels import DeliveryError, channel_for
from notifications.models import DELIVERABLE, Channel, DeliveryStatus, Notification

logger = logging.getLogger(__name__)


def _dispatch(notification_ids: list[int]) -> None:
    from notifications.tasks import deliver_notifications

    try:
        deliver_notifications.delay(notification_ids)
    except Exception:
        # The rows are safe in the database; the sweeper delivers them within a minute.
        logger.exception("could not dispatch notifications %s; the sweeper will", notification_ids)


def notification_enqueue(
    *,
    channel: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
    user: AbstractBaseUser | None = None,
) -> Notification:
    notification = Notification.objects.create(
        channel=channel, recipient=recipient, kind=kind, payload=payload, user=user
    )
    if channel == Channel.DASHBOARD:
        # Nothing to send: the row is what the bell shows.
        Notification.objects.filter(pk=notification.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
        notification.status = DeliveryStatus.SENT
    else:
        transaction.on_commit(lambda: _dispatch([notification.pk]))
    return notification


def email_enqueue(
    *, to: str, kind: str, template: str, context: dict[str, Any], user: AbstractBaseUser | None = None
) -> Notification:
    """Render `<template>-subject.txt`, `-body.txt` and `-body.html` now and queue the email.

    Rendering at enqueue time means a retry sends exactly what the first attempt would have,
    whatever has changed since.
    """
    context = {"helpdesk_name": settings.HELPDESK_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}-subject.txt", context).split())
    payload = {
        "subject": subject,
        "text": render_to_string(f"{template}-body.txt", context),
        "html": render_to_string(f"{template}-body.html", context),
    }
    return notification_enqueue(channel=Channel.EMAIL, recipient=to, kind=kind, payload=payload, user=user)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), capped."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
    )
    return timedelta(seconds=max(1.0, random.uniform(ceiling / 2, ceiling)))  # noqa: S311  # nosec B311  # jitter, not crypto


def _claimable(now: datetime) -> Q:
    return Q(status__in=DELIVERABLE, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(notification_id: int, now: datetime) -> bool:
    """Claim one row with a conditional UPDATE: true for exactly one of several claimants."""
    lease = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    return bool(Notification.objects.filter(_claimable(now), pk=notification_id).update(claimed_until=lease))


def claim_one(notification_id: int, now: datetime) -> bool:
    """Claim one row for this worker, just before sending it.

    On PostgreSQL the row is locked with SELECT ... FOR UPDATE SKIP LOCKED, so a worker
    never waits on a row another is claiming; elsewhere a conditional UPDATE does the same.
    Claiming row by row (not a whole batch up front) keeps each lease as long as one send,
    so a slow batch cannot outlive its claims and have its last rows sent a second time.
    """
    if connection.vendor != "postgresql":
        return _claim(notification_id, now)
    lease = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now), pk=notification_id)
            .values_list("pk", flat=True)
            .first()
        )
        if row is None:
            return False
        Notification.objects.filter(pk=notification_id).update(claimed_until=lease)
    return True


def _due_ids(now: datetime, limit: int) -> list[int]:
    due = Notification.objects.filter(_claimable(now)).order_by("next_attempt_at", "id")
    return list(due.values_list("pk", flat=True)[:limit])


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due rows (what a worker that then died would leave behind)."""
    return [pk for pk in _due_ids(now, limit) if claim_one(pk, now)]


def _send_claimed(notification_id: int, now: datetime) -> str:
    """Send a row this worker has claimed and record the outcome."""
    notification = Notification.objects.get(pk=notification_id)
    attempts = notification.attempts + 1
    try:
        try:
            channel_for(notification).send(notification)
        except DeliveryError:
            raise
        except Exception as unexpected:  # a bug or an odd payload: count it, retry, end dead
            logger.exception("notification %s: unexpected error while sending", notification_id)
            raise DeliveryError(f"{type(unexpected).__name__}: {unexpected}", retryable=True) from unexpected
    except DeliveryError as error:
        dead = not error.retryable or attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        status = DeliveryStatus.DEAD if dead else DeliveryStatus.FAILED
        delay = retry_delay(attempts)
        if error.retry_after is not None:  # the receiver said when (Slack's 429 Retry-After)
            delay = max(delay, timedelta(seconds=error.retry_after))
        Notification.objects.filter(pk=notification_id).update(
            status=status,
            attempts=attempts,
            last_error=str(error)[:2000],
            next_attempt_at=now + delay,
            claimed_until=None,
        )
        notifications_delivered.labels(channel=notification.channel, status=status).inc()
        log = logger.error if dead else logger.warning
        log("notification %s attempt %s failed (%s): %s", notification_id, attempts, status, error)
        return status
    Notification.objects.filter(pk=notification_id).update(
        status=DeliveryStatus.SENT,
        attempts=attempts,
        sent_at=timezone.now(),
        claimed_until=None,
        last_error="",
    )
    notifications_delivered.labels(channel=notification.channel, status=DeliveryStatus.SENT).inc()
    return DeliveryStatus.SENT


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> str | None:
    """Deliver one row if it is due and unclaimed; return its new status (None: not ours)."""
    now = now or timezone.now()
    if not claim_one(notification_id, now):
        return None
    return _send_claimed(notification_id, now)


def _tally(statuses: Iterable[str | None]) -> dict[str, int]:
    outcome: dict[str, int] = {}
    for status in statuses:
        key = status or "skipped"
        outcome[key] = outcome.get(key, 0) + 1
    return outcome


def notifications_deliver(*, notification_ids: Iterable[int]) -> dict[str, int]:
    return _tally(notification_deliver(notification_id=pk) for pk in notification_ids)


_CLAIM_NEXT = """
UPDATE notifications_notification SET claimed_until = %(lease)s
 WHERE id = (
       SELECT id FROM notifications_notification
        WHERE status = ANY(%(deliverable)s) AND next_attempt_at <= %(now)s
          AND (claimed_until IS NULL OR claimed_until < %(now)s)
        ORDER BY next_attempt_at, id
        LIMIT 1
          FOR UPDATE SKIP LOCKED)
RETURNING id
"""


def claim_next(now: datetime) -> int | None:
    """Claim the next due row nobody holds, or None when nothing is due.

    On PostgreSQL one statement finds and claims it; rows other workers are claiming are
    skipped, so any number of sweepers share the queue without waiting on or colliding
    with each other. Elsewhere the candidates are tried one by one with `claim_one`.
    """
    if connection.vendor != "postgresql":
        return next((pk for pk in _due_ids(now, 20) if claim_one(pk, now)), None)
    lease = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_NEXT, {"lease": lease, "now": now, "deliverable": list(DELIVERABLE)})
        row = cursor.fetchone()
    return row[0] if row else None


def notifications_deliver_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver up to `limit` due rows, each claimed right before it is sent."""
    statuses = []
    while len(statuses) < limit:
        moment = now or timezone.now()
        pk = claim_next(moment)
        if pk is None:
            break
        statuses.append(_send_claimed(pk, moment))
    return _tally(statuses)


def dispatch_due() -> None:
    """Ask workers to deliver whatever is due (after a scan); the sweeper covers a lost ask.

    NOTIFICATION_PARALLEL_SWEEPS tasks share the queue (each claims rows the others skip),
    and each hands over to a fresh task while rows remain, so a scan's thousands of alerts
    leave at the speed of all worker processes, not one per minute's sweep.
    """
    from notifications.tasks import deliver_due_notifications

    try:
        for _ in range(settings.NOTIFICATION_PARALLEL_SWEEPS):
            deliver_due_notifications.delay()
    except Exception:
        logger.exception("could not dispatch the delivery of due notifications; the sweeper will")


def notifications_requeue(*, notification_ids: Iterable[int]) -> int:
    """Give dead or failed rows a fresh set of attempts, due now."""
    count = Notification.objects.filter(
        pk__in=list(notification_ids), status__in=[DeliveryStatus.DEAD, DeliveryStatus.FAILED]
    ).update(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_until=None)
    return count


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
