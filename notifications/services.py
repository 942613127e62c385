"""Writing outbox rows and asking workers to deliver them.

A row is inserted in the caller's transaction and, on commit, handed to a worker
(notifications.tasks), which delivers it with notifications.delivery: the life of a row,
its claims and retries, are told there.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.delivery import claim_batch_size
from notifications.models import Channel, DeliveryStatus, Notification
from notifications.tasks import deliver_due_notifications, deliver_notifications

logger = logging.getLogger(__name__)


def _dispatch(notification_ids: list[int]) -> None:
    try:
        for start in range(0, len(notification_ids), DISPATCH_BATCH):
            deliver_notifications.delay(notification_ids[start : start + DISPATCH_BATCH])
    except Exception:
        # The rows are safe in the database; the sweeper delivers them within a minute.
        logger.exception("could not dispatch notifications %s; the sweeper will", notification_ids)


# Rows handed to one delivery task at most, when rows are dispatched together.
DISPATCH_BATCH = 20

_together = threading.local()


@contextmanager
def dispatch_together() -> Iterator[None]:
    """Hand the outbox rows committed inside the block to workers at its end, in tasks of
    DISPATCH_BATCH rows, instead of one task per row as each transaction commits.

    For a loop of many small transactions (an IMAP poll ingesting a chunk of emails), where
    publishing a task per row costs more than the rest of the row. A row still counts only
    once its transaction has committed; a rolled-back one is never handed over.
    """
    collected: list[int] = []
    outer = getattr(_together, "ids", None)
    _together.ids = collected
    try:
        yield
    finally:
        _together.ids = outer
        if collected:
            _dispatch(collected)


def notification_enqueue(
    *,
    channel: str,
    recipient: str,
    kind: str,
    payload: dict[str, Any],
    user: AbstractBaseUser | None = None,
) -> Notification:
    if channel == Channel.DASHBOARD:
        # Nothing to send: the row is what the bell shows, written as delivered.
        return Notification.objects.create(
            channel=channel,
            recipient=recipient,
            kind=kind,
            payload=payload,
            user=user,
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
        )
    notification = Notification.objects.create(
        channel=channel, recipient=recipient, kind=kind, payload=payload, user=user
    )
    dispatch_on_commit([notification.pk])
    return notification


def dispatch_on_commit(notification_ids: list[int]) -> None:
    """Hand rows written in the current transaction to workers once it commits (with the
    rows of a `dispatch_together` block, when one is open)."""
    if not notification_ids:
        return
    collected = getattr(_together, "ids", None)
    if collected is not None:
        transaction.on_commit(lambda: collected.extend(notification_ids))
    else:
        transaction.on_commit(lambda: _dispatch(notification_ids))


def email_enqueue(
    *,
    to: str,
    kind: str,
    template: str,
    context: dict[str, Any],
    user: AbstractBaseUser | None = None,
    headers: dict[str, str] | None = None,
    subject_tag: str = "",
    language: str | None = None,
) -> Notification:
    """Render `<template>-subject.txt`, `-body.txt` and `-body.html` now and queue the email.

    It is written in `language`, the reader's (a ticket's customer, an agent), else in the
    site's (LANGUAGE_CODE): never in the language of whoever caused it, whose page may be
    in another.

    Rendering at enqueue time means a retry sends exactly what the first attempt would have,
    whatever has changed since. `headers` (threading, Reply-To, Auto-Submitted: see
    tickets.threading) are sent as given; `subject_tag` starts the subject unless it is there.
    """
    context = {"helpdesk_name": settings.HELPDESK_NAME, "site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}-subject.txt", context).split())
        payload: dict[str, Any] = {
            "subject": subject,
            "text": render_to_string(f"{template}-body.txt", context),
            "html": render_to_string(f"{template}-body.html", context),
        }
    if subject_tag and subject_tag not in subject:
        payload["subject"] = f"{subject_tag} {subject}"
    if headers:
        payload["headers"] = headers
    return notification_enqueue(channel=Channel.EMAIL, recipient=to, kind=kind, payload=payload, user=user)


def dispatch_due(rows: int | None = None) -> None:
    """Ask workers to deliver whatever is due (after a scan); the sweeper covers a lost ask.

    NOTIFICATION_PARALLEL_SWEEPS tasks share the queue (each claims rows the others skip),
    and each hands over to a fresh task while rows remain, so a scan's thousands of alerts
    leave at the speed of all worker processes, not one per minute's sweep. When the caller
    knows how many `rows` it queued, no more tasks are sent than could each claim a batch:
    one ticket's check queues a handful of rows, and one task delivers them.
    """
    tasks = settings.NOTIFICATION_PARALLEL_SWEEPS
    if rows is not None:
        tasks = max(1, min(tasks, math.ceil(rows / claim_batch_size())))
    try:
        for _ in range(tasks):
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
