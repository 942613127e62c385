"""The SLA app's hand-written SQL: the scan's statements (sla.scan explains the scan), the
one-ticket check's read of its violations, and the compliance report's percentile aggregate
and daily counts (sla.compliance). sla/tests/test_queries.py checks the first two against the
ORM, and may_record against the scan's conditions; sla/tests/test_compliance.py checks the
report against the ORM's figures."""

from __future__ import annotations

from django.db import connection, connections
from django.db.models import Aggregate, FloatField, QuerySet

from core.rows import select_in
from sla.models import RUNNING_STATUSES, SLAPolicy, SLAViolation

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
# sla_policy_id, team_id): a WITH-list tail and the SELECT of the rows, shared by both
# statements below. A restricted team's ticket (tickets.visibility) alerts only who may see
# it: its assignee if a member of the team (supervisors and admins always), and Slack only
# through the webhook of a policy scoped to that very team, which an admin chose for it.
_RECIPIENTS = """
details AS (
    SELECT e.ticket_id, e.type, e.assigned_agent_id, e.sla_policy_id, 'sla.' || e.type || '.' || e.kind AS event_kind,
           jsonb_build_object('ticket_id', e.ticket_id, 'due_at', e.due_at) AS payload, tm.id AS restricted_team_id
      FROM events e LEFT JOIN agents_team tm ON tm.id = e.team_id AND tm.restricted
),
people AS (
    SELECT d.event_kind, d.payload, a.email, a.user_id
      FROM details d JOIN agents_agent a ON a.id = d.assigned_agent_id AND a.role NOT IN ('supervisor', 'admin')
     WHERE d.restricted_team_id IS NULL
        OR EXISTS (SELECT 1 FROM agents_team_members m WHERE m.team_id = d.restricted_team_id AND m.agent_id = a.id)
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
 WHERE (pol.slack_webhook_url <> '' OR %(default_slack)s)
   AND (d.restricted_team_id IS NULL OR (pol.team_id = d.restricted_team_id AND pol.slack_webhook_url <> ''))
"""

# The notifications of the violations and warnings carrying this scan's id (a target met
# late, sla_record_if_late).
_NOTIFICATIONS = _compose(
    """
INSERT INTO <<columns>>
WITH events AS (
    SELECT e.ticket_id, e.kind, e.due_at, e.type, t.assigned_agent_id, t.sla_policy_id, t.team_id
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

# An event's ticket's team, only while some team is restricted (the uncorrelated EXISTS is
# evaluated once): the overdue and at-risk branches read their partial indexes alone, which
# do not carry the team, so it is a primary-key probe per event, and none without restricted
# teams.
_EVENT_TEAM = """CASE WHEN EXISTS (SELECT 1 FROM agents_team WHERE restricted)
           THEN (SELECT tt.team_id FROM tickets_ticket tt WHERE tt.id = r.ticket_id) END"""

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
    SELECT o.ticket_id, o.kind, o.due_at, 'violation' AS type, o.assigned_agent_id, o.policy_id AS sla_policy_id,
           <<team>> AS team_id
      FROM violations r JOIN overdue o ON o.ticket_id = r.ticket_id AND o.kind = r.kind
    UNION ALL
    SELECT a.ticket_id, a.kind, a.due_at, 'at_risk', a.assigned_agent_id, a.policy_id,
           <<team>>
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
    team=_EVENT_TEAM,
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


_LATE = """
INSERT INTO sla_slaviolation (ticket_id, policy_id, kind, due_at, detected_at, scan_id)
VALUES (%(ticket)s, %(policy)s, %(kind)s, %(due)s, %(now)s, %(scan)s)
ON CONFLICT (ticket_id, kind) DO NOTHING
"""


def scan(cursor, params: dict, *, ticket_id: int | None = None) -> tuple[int, int, int]:
    """Run the whole scan (_SCAN) in the caller's transaction, with its settings: the
    violations, warnings and notifications it inserted. `ticket_id` narrows it to one ticket."""
    only = ""
    if ticket_id is not None:
        only, params = "AND id = %(ticket)s", {**params, "ticket": ticket_id}
    cursor.execute(_SCAN_SETTINGS)
    cursor.execute(_SCAN.format(only=only), params)
    return cursor.fetchone()


def record_late(cursor, params: dict) -> bool:
    """Record a target met late (_LATE) and, if this call recorded it, its notifications."""
    cursor.execute(_LATE, params)
    if cursor.rowcount <= 0:
        return False
    cursor.execute(_NOTIFICATIONS, params)
    return True


def violations_of(ticket) -> list[SLAViolation]:
    """The ticket's violations by due time, each with its policy: plain statements (the ORM
    compiled this join on every SLA check), the policy read only when not the ticket's own."""
    with connection.cursor() as cursor:
        violations = select_in(SLAViolation, cursor, "ticket_id", [ticket.pk], order="due_at, id")
        policies = {ticket.sla_policy_id: ticket.sla_policy} if ticket.sla_policy_id else {}
        others = {v.policy_id for v in violations if v.policy_id is not None} - set(policies)
        if others:
            policies.update((policy.pk, policy) for policy in select_in(SLAPolicy, cursor, "id", others))
    for violation in violations:
        if violation.policy_id in policies:
            violation.policy = policies[violation.policy_id]
    return violations


# --- compliance -------------------------------------------------------------------


class PercentileDisc(Aggregate):
    """PostgreSQL's percentile_disc(`percentile`): the first value whose cumulative share
    reaches it, i.e. the value at rank ceil(percentile x n) of the n non-null values (nearest
    rank)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(%(percentile)r) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, percentile: float, **extra) -> None:
        super().__init__(expression, percentile=float(percentile), **extra)  # a number, never text


def counts_by_day(flags: QuerySet) -> list[dict]:
    """Per day, ascending: the tickets, and the sums of their `met` and `breached` flags, of
    `flags` (a values() queryset with "day", "met" and "breached").

    Grouped over `flags` as a subquery: PostgreSQL has no statistics on a day expression, so
    grouping the tickets directly it expects a group per ticket and sorts them all; over a
    subquery (OFFSET 0 keeps it one) it assumes 200 groups and hashes them, about a third
    faster for a month of tickets."""
    sql, params = flags.query.sql_with_params()
    with connections[flags.db].cursor() as cursor:
        # Only the ORM's own SQL is formatted in; the values are its parameters.
        cursor.execute(
            f'SELECT "day", COUNT(*), SUM("met"), SUM("breached") FROM ({sql} OFFSET 0) AS "ticket" '  # noqa: S608  # nosec B608
            'GROUP BY "day" ORDER BY "day"',
            params,
        )
        return [
            {"day": day, "tickets": tickets, "met": met, "breached": breached}
            for day, tickets, met, breached in cursor.fetchall()
        ]
