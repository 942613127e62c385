"""Delivering outbox rows (written by notifications.services).

Life of a row:
1. `notification_enqueue` inserts it (status pending) inside the caller's transaction and
   asks, on commit, for a worker to deliver it; nothing is sent for a rolled-back change.
2. A worker claims it before sending: it sets `claimed_until` (a lease of
   NOTIFICATION_CLAIM_SECONDS) only where the row is deliverable, due, and not claimed by a
   live worker, so two workers never send the same row at the same time. `notification_deliver`
   claims one row by id; the sweeps claim small batches of due rows in one statement each.
3. The channel sends it. Success: sent. A retryable failure: failed, with the next attempt
   after an exponential backoff with jitter. Past NOTIFICATION_MAX_ATTEMPTS, or a failure
   not worth retrying: dead, until an administrator re-queues it.
4. `notifications_deliver_due`, run by beat every minute and after each SLA scan, delivers
   whatever is due: rows whose dispatch was lost (broker down at commit time), retries, and
   rows of a crashed worker, whose claim has expired.

Exactly once, as far as a worker that stays alive goes: a row is sent only under its own live
claim, which lasts long enough for every send of its batch to time out (`claim_batch_size`),
and a batch whose sends overran gives its unsent rows back instead of sending them late. A
worker killed mid-batch leaves its rows claimed; they are sent again once the claim expires,
those it had sent but not yet marked included (at least once; marks are written at least
every MARK_SENT_SECONDS, so that is at most about a second of sends).

In order, per key: rows with the same non-empty `ordering_key` (a ticket's webhook events)
are claimed one at a time, oldest first: a row is not claimable while an older row of its
key is pending or failed (a dead one no longer holds the rest back). Each claim, batch or
single, checks it in the same statement that locks the row (`_claimable`,
`queries.claim_batch`); a row skipped because of it is handed to a worker as soon as the
row before it is sent or dead (`successors`), or swept like any other.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.metrics import notifications_delivered
from notifications import queries
from notifications.channels import DeliveryError, channel_for
from notifications.inbox import withheld
from notifications.models import DELIVERABLE, DeliveryStatus, Notification
from notifications.payloads import describe_all

logger = logging.getLogger(__name__)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), capped."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
    )
    return timedelta(seconds=max(1.0, random.uniform(ceiling / 2, ceiling)))  # noqa: S311  # nosec B311  # jitter, not crypto


def _first_of_its_key() -> Q:
    """No older row of the same ordering key is still to deliver (pending or failed)."""
    earlier = Notification.objects.filter(
        ordering_key=OuterRef("ordering_key"), pk__lt=OuterRef("pk"), status__in=DELIVERABLE
    ).exclude(ordering_key="")
    return Q(ordering_key="") | ~Exists(earlier)


def _claimable(now: datetime) -> Q:
    return (
        Q(status__in=DELIVERABLE, next_attempt_at__lte=now)
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        & _first_of_its_key()
    )


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)


def claim_one(notification_id: int, now: datetime) -> bool:
    """Claim one row for this worker, just before sending it.

    The row is locked with SELECT ... FOR UPDATE SKIP LOCKED, so a worker never waits on a
    row another is claiming: true for exactly one of several claimants.
    """
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_claimable(now), pk=notification_id)
            .values_list("pk", flat=True)
            .first()
        )
        if row is None:
            return False
        Notification.objects.filter(pk=notification_id).update(claimed_until=_lease(now))
    return True


# Rows one statement claims, at most (see claim_batch_size).
CLAIM_BATCH = 20

# Sent rows of a batch are marked in one statement at the end of the batch, or as soon as
# this long has passed since the first row not yet marked (a batch held up by slow sends).
MARK_SENT_SECONDS = 1.0


def send_timeout() -> float:
    """The longest one send may wait on the network for its answer, whichever the channel."""
    return max(
        float(settings.SLACK_TIMEOUT_SECONDS),
        float(settings.WEBHOOK_TIMEOUT_SECONDS),
        float(settings.EMAIL_TIMEOUT or 0),
        1.0,
    )


def claim_batch_size() -> int:
    """Rows to claim at once: CLAIM_BATCH, or fewer, so that all of them could be sent within
    half a claim even if every send took its full timeout (the last row of a batch waits for
    the sends before it, and must still be sent under its own claim)."""
    fits = int(settings.NOTIFICATION_CLAIM_SECONDS / 2 / send_timeout())
    return max(1, min(CLAIM_BATCH, fits))


def claim_batch(now: datetime, limit: int) -> list[Notification]:
    """Claim up to `limit` due rows nobody holds, oldest due first, and return them.

    One statement finds, locks and claims them; rows other workers are claiming are
    skipped, so any number of sweepers share the queue without waiting on or colliding with
    each other.
    """
    if limit < 1:
        return []
    return queries.claim_batch(now=now, lease=_lease(now), limit=limit)


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due rows (what a worker that then died would leave behind)."""
    return [row.pk for row in claim_batch(now, limit)]


def _attempt(notification: Notification, now: datetime) -> str:
    """Send a claimed row. A failure is recorded here; a success is left for `_mark_sent`."""
    attempts = notification.attempts + 1
    # What this attempt's answer was (set by the HTTP channels): never a previous attempt's.
    notification.response_status = notification.latency_ms = None
    try:
        try:
            channel_for(notification).send(notification)
        except DeliveryError:
            raise
        except Exception as unexpected:  # a bug or an odd payload: count it, retry, end dead
            logger.exception("notification %s: unexpected error while sending", notification.pk)
            raise DeliveryError(f"{type(unexpected).__name__}: {unexpected}", retryable=True) from unexpected
    except DeliveryError as error:
        dead = not error.retryable or attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        status = DeliveryStatus.DEAD if dead else DeliveryStatus.FAILED
        delay = retry_delay(attempts)
        if error.retry_after is not None:  # the receiver said when (Slack's 429 Retry-After)
            delay = max(delay, timedelta(seconds=error.retry_after))
        Notification.objects.filter(pk=notification.pk).update(
            status=status,
            attempts=attempts,
            last_error=str(error)[:2000],
            next_attempt_at=now + delay,
            claimed_until=None,
            response_status=notification.response_status,
            latency_ms=notification.latency_ms,
        )
        notifications_delivered.labels(channel=notification.channel, status=status).inc()
        log = logger.error if dead else logger.warning
        log("notification %s attempt %s failed (%s): %s", notification.pk, attempts, status, error)
        return status
    return DeliveryStatus.SENT


def _mark_sent(notifications: list[Notification]) -> None:
    """Record rows as sent, each with its answer's status and latency, in one statement."""
    if not notifications:
        return
    queries.mark_sent([(n.pk, n.response_status, n.latency_ms) for n in notifications], sent_at=timezone.now())
    by_channel: dict[str, int] = {}
    for notification in notifications:
        by_channel[notification.channel] = by_channel.get(notification.channel, 0) + 1
    for channel, count in by_channel.items():
        notifications_delivered.labels(channel=channel, status=DeliveryStatus.SENT).inc(count)


WITHHELD = "withheld: the recipient may no longer see this ticket (a restricted team)"


def _withhold(rows: list[Notification]) -> list[Notification]:
    """`rows` without those a send check withholds, which are marked dead with the reason
    (notifications.inbox.withheld: a ticket that moved into a restricted team)."""
    ids = withheld(rows)
    if not ids:
        return rows
    Notification.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.DEAD, last_error=WITHHELD, claimed_until=None, attempts=F("attempts") + 1
    )
    for notification in rows:
        if notification.pk in ids:
            notifications_delivered.labels(channel=notification.channel, status=DeliveryStatus.DEAD).inc()
            logger.info("notification %s withheld: its ticket is no longer visible to its recipient", notification.pk)
    return [notification for notification in rows if notification.pk not in ids]


def _send_claimed(notification_id: int, now: datetime) -> str:
    """Send a row this worker has claimed and record the outcome."""
    notification = Notification.objects.get(pk=notification_id)
    if not _withhold([notification]):
        return DeliveryStatus.DEAD
    status = _attempt(notification, now)
    if status == DeliveryStatus.SENT:
        _mark_sent([notification])
    return status


def _deliver_batch(rows: list[Notification], now: datetime) -> list[str]:
    """Send rows claimed together at `now`, in order; return the status of each one sent.

    Every row after the first is sent only while its claim has at least two send timeouts
    left; past that (sends slower than their timeouts) the rest are handed back unclaimed,
    for this or another worker to claim afresh, rather than sent after the claim expired.
    """
    statuses: list[str] = []
    unmarked: list[Notification] = []
    unmarked_since = 0.0
    started = time.monotonic()
    usable = settings.NOTIFICATION_CLAIM_SECONDS - 2 * send_timeout()
    attempted = 0
    try:
        describe_all(rows)  # the tickets of SLA alerts (facts-only payloads) in one read
        sendable = _withhold(rows)  # marked dead: nothing left of them to hand back
        statuses += [DeliveryStatus.DEAD] * (len(rows) - len(sendable))
        rows = sendable
        for notification in rows:
            if attempted and time.monotonic() - started > usable:
                logger.warning("sends ran slow: %s claimed rows handed back", len(rows) - attempted)
                break
            attempted += 1
            status = _attempt(notification, now)
            statuses.append(status)
            if status == DeliveryStatus.SENT:
                if not unmarked:
                    unmarked_since = time.monotonic()
                unmarked.append(notification)
                if time.monotonic() - unmarked_since >= MARK_SENT_SECONDS:
                    _mark_sent(unmarked)
                    unmarked = []
    finally:
        _mark_sent(unmarked)
        # Rows not yet tried go back now; one whose send was under way when something went
        # wrong keeps its claim (it may have been delivered) until the claim expires.
        untried = [n.pk for n in rows[attempted:]]
        if untried:
            Notification.objects.filter(pk__in=untried, claimed_until=_lease(now)).update(claimed_until=None)
    return statuses


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


def successors(notification_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Rows now claimable that wait behind one of these in their ordering key: a worker
    that found the row before them still pending skipped them; once that row is sent or
    dead they are handed on at once rather than left to the sweeper. One query; nothing
    comes back for rows without a key."""
    keys = Notification.objects.filter(pk__in=list(notification_ids)).exclude(ordering_key="").values("ordering_key")
    waiting = Notification.objects.filter(_claimable(now or timezone.now()), ordering_key__in=keys)
    return list(waiting.order_by("pk").values_list("pk", flat=True)[:CLAIM_BATCH])


def notifications_deliver_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver up to `limit` due rows, claimed a small batch at a time (`claim_batch_size`)."""
    statuses: list[str] = []
    size = claim_batch_size()
    while len(statuses) < limit:
        moment = now or timezone.now()
        batch = claim_batch(moment, min(size, limit - len(statuses)))
        if not batch:
            break
        statuses += _deliver_batch(batch, moment)
    return _tally(statuses)
