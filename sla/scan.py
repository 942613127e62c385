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
from sla.models import RUNNING_STATUSES, SLAScanRun, SLAViolation, SLAWarning

logger = logging.getLogger(__name__)

# The statements spell out RUNNING_STATUSES as ('new', 'open'): the statuses whose clock runs.
assert tuple(RUNNING_STATUSES) == ("new", "open")  # nosec B101  # an import-time check of the constants

# Targets due by now and not yet recorded, with what the alerts need. Each branch is an
# index-only scan of a partial index (tickets.models) plus an anti-join.
_OVERDUE = """
    SELECT id AS ticket_id, sla_policy_id AS policy_id, assigned_agent_id, 'first_response' AS kind,
           first_response_due_at AS due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND first_responded_at IS NULL AND first_response_due_at <= %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slaviolation v WHERE v.ticket_id = t.id AND v.kind = 'first_response')
    UNION ALL
    SELECT id, sla_policy_id, assigned_agent_id, 'resolution', resolution_due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND resolution_due_at <= %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slaviolation v WHERE v.ticket_id = t.id AND v.kind = 'resolution')
"""

_AT_RISK = """
    SELECT id AS ticket_id, sla_policy_id AS policy_id, assigned_agent_id, 'first_response' AS kind,
           first_response_due_at AS due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND first_responded_at IS NULL
       AND first_response_at_risk_at <= %(now)s AND first_response_due_at > %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slawarning w WHERE w.ticket_id = t.id AND w.kind = 'first_response')
    UNION ALL
    SELECT id, sla_policy_id, assigned_agent_id, 'resolution', resolution_due_at
      FROM tickets_ticket t
     WHERE status IN ('new', 'open') AND resolution_at_risk_at <= %(now)s AND resolution_due_at > %(now)s {only}
       AND NOT EXISTS (SELECT 1 FROM sla_slawarning w WHERE w.ticket_id = t.id AND w.kind = 'resolution')
"""


def _compose(template: str, **parts: str) -> str:
    """Fill the <<name>> slots of a statement with other constant fragments (never values)."""
    for name, part in parts.items():
        template = template.replace(f"<<{name}>>", part)
    return template


_INSERT_EVENTS = """
INSERT INTO <<table>> (ticket_id, policy_id, kind, due_at, detected_at, scan_id)
SELECT ticket_id, policy_id, kind, due_at, %(now)s, %(scan)s FROM (<<found>>) AS found
WHERE true
ORDER BY ticket_id, kind
ON CONFLICT (ticket_id, kind) DO NOTHING
"""

# The notification rows of `events` (ticket_id, kind, due_at, type, assigned_agent_id,
# sla_policy_id): a WITH-list tail and the SELECT of the rows, shared by both statements below.
_RECIPIENTS = """
details AS (
    SELECT ticket_id, type, assigned_agent_id, sla_policy_id, 'sla.' || type || '.' || kind AS event_kind,
           jsonb_build_object('ticket_id', ticket_id, 'due_at', due_at) AS payload
      FROM events
),
people AS (
    SELECT d.event_kind, d.payload, a.email, a.user_id
      FROM details d JOIN agents_agent a ON a.id = d.assigned_agent_id AND a.role NOT IN ('supervisor', 'admin')
    UNION ALL
    SELECT d.event_kind, d.payload, a.email, a.user_id
      FROM details d CROSS JOIN agents_agent a WHERE a.role IN ('supervisor', 'admin')
)
"""

_COLUMNS = """notifications_notification
    (channel, recipient, user_id, kind, payload, status, attempts, next_attempt_at, created_at, last_error, sent_at)"""

_ROWS = """
SELECT 'email', email, user_id, event_kind, payload, 'pending', 0, %(now)s, %(now)s, '', NULL
  FROM people
UNION ALL
SELECT 'dashboard', u.username, p.user_id, p.event_kind, p.payload, 'sent', 0, %(now)s, %(now)s, '', %(now)s
  FROM people p JOIN auth_user u ON u.id = p.user_id
UNION ALL
SELECT 'slack', CASE WHEN pol.slack_webhook_url <> '' THEN 'policy:' || CAST(pol.id AS TEXT) ELSE 'default' END,
       NULL, d.event_kind, d.payload, 'pending', 0, %(now)s, %(now)s, '', NULL
  FROM details d LEFT JOIN sla_slapolicy pol ON pol.id = d.sla_policy_id
 WHERE pol.slack_webhook_url <> '' OR %(default_slack)s
"""

# The notifications of the violations and warnings carrying this scan's id (a target met
# late, sla_record_if_late).
_NOTIFICATIONS = _compose(
    """
INSERT INTO <<columns>>
WITH events AS (
    SELECT e.ticket_id, e.kind, e.due_at, e.type, t.assigned_agent_id, t.sla_policy_id
      FROM (SELECT ticket_id, kind, due_at, 'violation' AS type FROM sla_slaviolation WHERE scan_id = %(scan)s
            UNION ALL
            SELECT ticket_id, kind, due_at, 'at_risk' AS type FROM sla_slawarning WHERE scan_id = %(scan)s) AS e
      JOIN tickets_ticket t ON t.id = e.ticket_id
),
<<recipients>>
<<rows>>
""",
    columns=_COLUMNS,
    recipients=_RECIPIENTS,
    rows=_ROWS,
)

# The whole scan in one statement. The events are the rows the inserts RETURN
# (a row another scan recorded first is not returned: that scan notifies for it), joined
# back to what found them for the assignee and policy. Answers the three counts.
_SCAN = _compose(
    """
WITH overdue AS (<<overdue>>),
at_risk AS (<<at_risk>>),
violations AS (<<violations>>
    RETURNING ticket_id, kind
),
warnings AS (<<warnings>>
    RETURNING ticket_id, kind
),
events AS (
    SELECT o.ticket_id, o.kind, o.due_at, 'violation' AS type, o.assigned_agent_id, o.policy_id AS sla_policy_id
      FROM violations r JOIN overdue o ON o.ticket_id = r.ticket_id AND o.kind = r.kind
    UNION ALL
    SELECT a.ticket_id, a.kind, a.due_at, 'at_risk', a.assigned_agent_id, a.policy_id
      FROM warnings r JOIN at_risk a ON a.ticket_id = r.ticket_id AND a.kind = r.kind
),
<<recipients>>,
notified AS (
    INSERT INTO <<columns>>
    <<rows>>
    RETURNING 1
)
SELECT (SELECT count(*) FROM violations), (SELECT count(*) FROM warnings), (SELECT count(*) FROM notified)
""",
    overdue=_OVERDUE,
    at_risk=_AT_RISK,
    violations=_compose(_INSERT_EVENTS, table="sla_slaviolation", found="SELECT * FROM overdue"),
    warnings=_compose(_INSERT_EVENTS, table="sla_slawarning", found="SELECT * FROM at_risk"),
    recipients=_RECIPIENTS,
    columns=_COLUMNS,
    rows=_ROWS,
)

# For this transaction only:
# - jit off: the statement's estimates (every running ticket might be overdue) are far above
#   jit_above_cost, and compiling it took 60-100 ms of a 0.1 s idle rescan, for a statement
#   that is I/O bound and runs once.
# - work_mem: a large scan's CTEs hold ~40k recipient rows with their payloads; at the
#   default 4 MB they spill to temporary files.
# - synchronous_commit off: the commit does not wait for the ~50 MB of WAL of a large scan
#   to reach the disk (usually ms, up to most of a second under I/O load). A crash within
#   the next ~0.6 s (3 x wal_writer_delay) may lose the whole transaction, atomically, and
#   nothing else: any later durable commit (a worker claiming one of its rows, a reply to
#   one of its tickets) flushes the WAL up to itself, so nothing durable can depend on a
#   lost scan. The next scan then finds the same targets unrecorded and records and
#   notifies them, as if this one had run a minute later.
_SCAN_SETTINGS = (
    "SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true),"
    " set_config('synchronous_commit', 'off', true)"
)


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
    from notifications.services import dispatch_due

    now = now or timezone.now()
    result = ScanResult(scan_id=uuid.uuid4(), now=now)
    started = time.perf_counter()
    params = _params(now, result.scan_id)
    only = ""
    if ticket_id is not None:
        only, params["ticket"] = "AND id = %(ticket)s", ticket_id
    try:
        # The whole scan is planned for this `now` every time (unprepared): once a minute,
        # planning costs nothing next to a generic plan chosen for some other minute.
        planned = unprepared(connection) if ticket_id is None else contextlib.nullcontext()
        with planned, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_SCAN_SETTINGS)
            cursor.execute(_SCAN.format(only=only), params)
            result.violations, result.warnings, result.notifications = cursor.fetchone()
            if result.notifications:
                transaction.on_commit(lambda: dispatch_due(rows=result.notifications))
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

    `recorded`: the kinds of its violations already recorded. The conditions of _OVERDUE and
    _AT_RISK above (keep them in step), read from the row already loaded: most one-ticket
    checks find nothing new, and then the scan's write transaction is not needed. When in
    doubt the answer is yes; the scan itself decides.
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
        cursor.execute(_NOTIFICATIONS, params)
    transaction.on_commit(dispatch_due)
    return True
