"""The SLA scan: every overdue or at-risk ticket becomes a violation or warning, once.

Set-based, a fixed number of SQL statements whatever the number of tickets. What it does:
1. INSERT ... SELECT the violations (first response and resolution overdue among tickets
   whose clock runs, not yet recorded) with ON CONFLICT (ticket, kind) DO NOTHING, stamped
   with this scan's id.
2. The same for at-risk warnings (past the at-risk time, not yet due).
3. INSERT ... SELECT the notification rows for the rows this scan inserted, and only
   those: email and dashboard to the assigned agent and every supervisor (each once),
   Slack per violation or warning when a webhook is configured.
4. Record the run (for /metrics and operators); drop runs older than a week.

1-3 are one statement (data-modifying CTEs): the notifications are written for exactly the
rows the inserts RETURN, with the assignee and policy read from the same index-only scans
that found them, so no ticket row is visited.

A notification's payload holds only the ticket and the due time: what happened is the row's
kind (sla.violation.first_response...), when is its created_at, and what people read (the
ticket's subject, priority and customer, a title and a link) is looked up when a row is sent
or shown (notifications.payloads), not copied into ~5 rows per event.

Two scans at once cannot notify twice: the unique (ticket, kind) index makes the second
insert of a row wait for the first and then do nothing, and each scan notifies for the
rows it inserted itself. Rows are inserted in (ticket, kind) order so that two scans
always wait on each other in the same order and never deadlock.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.rows import unprepared
from notifications.services import dispatch_due
from sla import queries
from sla.models import RUNNING_STATUSES, SLAScanRun, SLAViolation, SLAWarning
from sla.signals import events_recorded

logger = logging.getLogger(__name__)


@dataclass
class ScanResult:
    scan_id: uuid.UUID
    now: datetime
    violations: int = 0
    warnings: int = 0
    notifications: int = 0
    duration_ms: float = 0.0
    statements: list[str] = field(default_factory=list, repr=False)


def _params(now: datetime, scan_id: uuid.UUID) -> dict:
    scan_field = SLAViolation._meta.get_field("scan_id")
    return {
        "now": connection.ops.adapt_datetimefield_value(now),
        "scan": scan_field.get_db_prep_value(scan_id, connection),
        "default_slack": bool(settings.SLACK_WEBHOOK_URL),
    }


def sla_scan(*, now: datetime | None = None, ticket_id: int | None = None) -> ScanResult:
    """Record what is overdue or at risk at `now` (one ticket, or all) and queue the alerts.

    Errors are logged and raised: a failed scan must never read as "nothing overdue".
    """
    now = now or timezone.now()
    result = ScanResult(scan_id=uuid.uuid4(), now=now)
    started = time.perf_counter()
    params = _params(now, result.scan_id)
    try:
        # The whole scan is planned for this `now` every time (unprepared): once a minute,
        # planning costs nothing next to a generic plan chosen for some other minute.
        planned = unprepared(connection) if ticket_id is None else contextlib.nullcontext()
        with planned, transaction.atomic(), connection.cursor() as cursor:
            result.violations, result.warnings, result.notifications = queries.scan(cursor, params, ticket_id=ticket_id)
            if result.notifications:
                transaction.on_commit(lambda: dispatch_due(rows=result.notifications))
            if result.violations or result.warnings:
                events_recorded.send(
                    sender=None, scan_id=result.scan_id, violations=result.violations, warnings=result.warnings
                )
            result.duration_ms = (time.perf_counter() - started) * 1000
            if ticket_id is None:
                SLAScanRun.objects.create(
                    started_at=now,
                    duration_ms=result.duration_ms,
                    violations=result.violations,
                    warnings=result.warnings,
                    notifications=result.notifications,
                )
                SLAScanRun.objects.filter(started_at__lt=now - timedelta(days=7)).delete()
    except Exception:
        logger.exception("SLA scan at %s failed", now.isoformat())
        raise
    if result.violations or result.warnings:
        logger.info(
            "SLA scan: %s violations, %s at-risk warnings, %s notifications",
            result.violations,
            result.warnings,
            result.notifications,
        )
    return result


def may_record(ticket, now: datetime, *, recorded: set[str]) -> bool:
    """Whether the one-ticket scan could record anything for `ticket` at `now`.

    `recorded`: the kinds of its violations already recorded. The conditions of
    sla.queries' _OVERDUE and _AT_RISK (keep them in step; sla/tests/test_queries.py checks),
    read from the row already loaded: most one-ticket checks find nothing new, and then the
    scan's write transaction is not needed. When in doubt the answer is yes; the scan itself
    decides.
    """
    if ticket.status not in RUNNING_STATUSES:
        return False
    first_open = ticket.first_responded_at is None
    first_due, resolution_due = ticket.first_response_due_at, ticket.resolution_due_at
    if first_open and first_due is not None and first_due <= now and "first_response" not in recorded:
        return True
    if resolution_due is not None and resolution_due <= now and "resolution" not in recorded:
        return True
    at_risk = []
    first_risk, resolution_risk = ticket.first_response_at_risk_at, ticket.resolution_at_risk_at
    if first_open and first_risk is not None and first_due is not None and first_risk <= now < first_due:
        at_risk.append("first_response")
    if resolution_risk is not None and resolution_due is not None and resolution_risk <= now < resolution_due:
        at_risk.append("resolution")
    return bool(at_risk) and SLAWarning.objects.filter(ticket=ticket, kind__in=at_risk).count() < len(at_risk)


def sla_record_if_late(*, ticket, kind: str, done_at: datetime) -> bool:
    """Record the violation of a target met late, at the moment it is met.

    The scan only sees targets still open; a first reply or a resolution that comes after
    its due time but before the next scan (or while beat was down) would otherwise never
    be recorded. Runs in the caller's transaction; alerts leave after commit. A ticket whose
    clock was stopped counts the moment it stopped.
    """
    due = ticket.first_response_due_at if kind == "first_response" else ticket.resolution_due_at
    clock = min(done_at, ticket.sla_paused_at) if ticket.sla_paused_at else done_at
    if ticket.sla_policy_id is None or due is None or clock <= due:
        return False
    now = timezone.now()
    scan_id = uuid.uuid4()
    params = _params(now, scan_id)
    params.update(
        {
            "ticket": ticket.pk,
            "policy": ticket.sla_policy_id,
            "kind": kind,
            "due": connection.ops.adapt_datetimefield_value(due),
        }
    )
    with connection.cursor() as cursor:
        if not queries.record_late(cursor, params):
            return False  # the scan had recorded it already
    transaction.on_commit(dispatch_due)
    events_recorded.send(sender=None, scan_id=scan_id, violations=1, warnings=0)
    return True
