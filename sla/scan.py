"""The SLA scan: every overdue or at-risk ticket becomes a violation or warning, once.

Set-based, a fixed number of SQL statements whatever the number of tickets:
1. INSERT ... SELECT the violations (first response and resolution overdue among tickets
   whose clock runs) with ON CONFLICT (ticket, kind) DO NOTHING, stamped with this scan's id.
2. The same for at-risk warnings (past the at-risk time, not yet due).
3. INSERT ... SELECT the notification rows for the rows this scan inserted, and only
   those: email and dashboard to the assigned agent and every supervisor (each once),
   Slack per violation or warning when a webhook is configured.
4. Record the run (for /metrics and operators); drop runs older than a week.
Two scans at once cannot notify twice: the unique (ticket, kind) index makes the second
insert of a row wait for the first and then do nothing, and each scan notifies for the
rows carrying its own id. Rows are inserted in (ticket, kind) order so that two scans
always wait on each other in the same order and never deadlock.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sla.models import RUNNING_STATUSES, SLAScanRun, SLAViolation

logger = logging.getLogger(__name__)

# The statements spell out RUNNING_STATUSES as ('new', 'open'): the statuses whose clock runs.
assert tuple(RUNNING_STATUSES) == ("new", "open")  # nosec B101  # an import-time check of the constants

_VIOLATIONS = """
INSERT INTO sla_slaviolation (ticket_id, policy_id, kind, due_at, detected_at, scan_id)
SELECT ticket_id, policy_id, kind, due_at, %(now)s, %(scan)s FROM (
    SELECT id AS ticket_id, sla_policy_id AS policy_id, 'first_response' AS kind, first_response_due_at AS due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND first_responded_at IS NULL AND first_response_due_at <= %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slaviolation v WHERE v.ticket_id = t.id AND v.kind = 'first_response')
    UNION ALL
    SELECT id, sla_policy_id, 'resolution', resolution_due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND resolution_due_at <= %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slaviolation v WHERE v.ticket_id = t.id AND v.kind = 'resolution')
) AS overdue
WHERE true
ORDER BY ticket_id, kind
ON CONFLICT (ticket_id, kind) DO NOTHING
"""

_WARNINGS = """
INSERT INTO sla_slawarning (ticket_id, policy_id, kind, due_at, detected_at, scan_id)
SELECT ticket_id, policy_id, kind, due_at, %(now)s, %(scan)s FROM (
    SELECT id AS ticket_id, sla_policy_id AS policy_id, 'first_response' AS kind, first_response_due_at AS due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND first_responded_at IS NULL
       AND first_response_at_risk_at <= %(now)s AND first_response_due_at > %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slawarning w WHERE w.ticket_id = t.id AND w.kind = 'first_response')
    UNION ALL
    SELECT id, sla_policy_id, 'resolution', resolution_due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND resolution_at_risk_at <= %(now)s AND resolution_due_at > %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slawarning w WHERE w.ticket_id = t.id AND w.kind = 'resolution')
) AS at_risk
WHERE true
ORDER BY ticket_id, kind
ON CONFLICT (ticket_id, kind) DO NOTHING
"""

# {json} is jsonb_build_object on PostgreSQL and json_object on SQLite: the same arguments.
# The WITH clause sits inside the INSERT so that drivers (Python's sqlite3) see an INSERT
# and report how many rows it wrote.
_NOTIFICATIONS = """
INSERT INTO notifications_notification
    (channel, recipient, user_id, kind, payload, status, attempts, next_attempt_at, created_at, last_error, sent_at)
WITH events AS (
    SELECT ticket_id, kind, due_at, 'violation' AS type FROM sla_slaviolation WHERE scan_id = %(scan)s
    UNION ALL
    SELECT ticket_id, kind, due_at, 'at_risk' AS type FROM sla_slawarning WHERE scan_id = %(scan)s
),
details AS (
    SELECT e.ticket_id, e.kind, e.due_at, e.type, t.subject, t.priority, t.customer_email,
           t.assigned_agent_id, t.sla_policy_id,
           'sla.' || e.type || '.' || e.kind AS event_kind,
           {json}('type', e.type, 'kind', e.kind, 'ticket_id', e.ticket_id, 'subject', t.subject,
                  'priority', t.priority, 'customer_email', t.customer_email, 'due_at', e.due_at,
                  'detected_at', %(now)s,
                  'title', CASE e.type WHEN 'violation' THEN 'SLA breached: ' ELSE 'SLA at risk: ' END
                           || CASE e.kind WHEN 'first_response' THEN 'first response' ELSE 'resolution' END
                           || ' on #' || CAST(e.ticket_id AS TEXT) || ' ' || t.subject,
                  'url', %(ticket_url)s || CAST(e.ticket_id AS TEXT)) AS payload
      FROM events e JOIN tickets_ticket t ON t.id = e.ticket_id
),
people AS (
    SELECT d.ticket_id, d.kind, d.type, a.id AS agent_id
      FROM details d JOIN agents_agent a ON a.id = d.assigned_agent_id
    UNION
    SELECT d.ticket_id, d.kind, d.type, a.id
      FROM details d CROSS JOIN agents_agent a WHERE a.role IN ('supervisor', 'admin')
)
SELECT 'email', a.email, a.user_id, d.event_kind, d.payload, 'pending', 0, %(now)s, %(now)s, '', NULL
  FROM people p
  JOIN details d ON d.ticket_id = p.ticket_id AND d.kind = p.kind AND d.type = p.type
  JOIN agents_agent a ON a.id = p.agent_id
UNION ALL
SELECT 'dashboard', u.username, a.user_id, d.event_kind, d.payload, 'sent', 0, %(now)s, %(now)s, '', %(now)s
  FROM people p
  JOIN details d ON d.ticket_id = p.ticket_id AND d.kind = p.kind AND d.type = p.type
  JOIN agents_agent a ON a.id = p.agent_id
  JOIN auth_user u ON u.id = a.user_id
UNION ALL
SELECT 'slack', CASE WHEN pol.slack_webhook_url <> '' THEN 'policy:' || CAST(pol.id AS TEXT) ELSE 'default' END,
       NULL, d.event_kind, d.payload, 'pending', 0, %(now)s, %(now)s, '', NULL
  FROM details d LEFT JOIN sla_slapolicy pol ON pol.id = d.sla_policy_id
 WHERE pol.slack_webhook_url <> '' OR %(default_slack)s
"""

_JSON = {"postgresql": "jsonb_build_object", "sqlite": "json_object"}


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
        "ticket_url": settings.SITE_URL + "/agent/tickets/",
        "default_slack": bool(settings.SLACK_WEBHOOK_URL),
    }


def sla_scan(*, now: datetime | None = None, ticket_id: int | None = None) -> ScanResult:
    """Record what is overdue or at risk at `now` (one ticket, or all) and queue the alerts.

    Errors are logged and raised: a failed scan must never read as "nothing overdue".
    """
    from notifications.services import dispatch_due

    now = now or timezone.now()
    result = ScanResult(scan_id=uuid.uuid4(), now=now)
    started = time.perf_counter()
    params = _params(now, result.scan_id)
    only = ""
    if ticket_id is not None:
        only, params["ticket"] = "AND id = %(ticket)s", ticket_id
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_VIOLATIONS.format(only=only), params)
            result.violations = max(cursor.rowcount, 0)
            cursor.execute(_WARNINGS.format(only=only), params)
            result.warnings = max(cursor.rowcount, 0)
            if result.violations or result.warnings:
                cursor.execute(_NOTIFICATIONS.format(json=_JSON[connection.vendor]), params)
                result.notifications = max(cursor.rowcount, 0)
                transaction.on_commit(dispatch_due)
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


_LATE = """
INSERT INTO sla_slaviolation (ticket_id, policy_id, kind, due_at, detected_at, scan_id)
VALUES (%(ticket)s, %(policy)s, %(kind)s, %(due)s, %(now)s, %(scan)s)
ON CONFLICT (ticket_id, kind) DO NOTHING
"""


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
    from notifications.services import dispatch_due

    now = timezone.now()
    params = _params(now, uuid.uuid4())
    params.update(
        {
            "ticket": ticket.pk,
            "policy": ticket.sla_policy_id,
            "kind": kind,
            "due": connection.ops.adapt_datetimefield_value(due),
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(_LATE, params)
        if cursor.rowcount <= 0:
            return False  # the scan had recorded it already
        cursor.execute(_NOTIFICATIONS.format(json=_JSON[connection.vendor]), params)
    transaction.on_commit(dispatch_due)
    return True
