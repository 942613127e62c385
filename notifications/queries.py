"""The outbox's hand-written SQL: the sweepers' batch claim (notifications.delivery explains
the claims), checked against the ORM in notifications/tests/test_queries.py."""

from __future__ import annotations

from datetime import datetime

from notifications.models import DELIVERABLE, Notification

# Find, lock and claim in one statement: the ORM would take a SELECT ... FOR UPDATE SKIP
# LOCKED and an UPDATE, two round trips per batch while holding the locks.
#
# The rows to claim are a MATERIALIZED CTE, which PostgreSQL evaluates exactly once. As a
# subquery joined in the UPDATE's FROM, a plan putting it on the inner side of a nested loop
# re-ran it for every outer row: each run skipped the rows this statement had just updated
# (SKIP LOCKED passes over rows the command itself changed) and locked the next ones, so a
# claim of `limit` rows took every due row. It happened when the table's statistics made
# the outbox look nearly empty; the equivalence test caught it (3 rows asked, all taken).
_CLAIM_BATCH = """
WITH due AS MATERIALIZED (
    SELECT id FROM notifications_notification
     WHERE status = ANY(%(deliverable)s) AND next_attempt_at <= %(now)s
       AND (claimed_until IS NULL OR claimed_until < %(now)s)
     ORDER BY next_attempt_at, id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
)
UPDATE notifications_notification AS claimed SET claimed_until = %(lease)s
  FROM due
 WHERE claimed.id = due.id
RETURNING claimed.*
"""


def claim_batch(*, now: datetime, lease: datetime, limit: int) -> list[Notification]:
    """Claim (claimed_until = `lease`) up to `limit` rows deliverable, due at `now` and held
    by nobody, oldest due first; rows other workers are locking are skipped. The claimed
    rows, in that order."""
    params = {"lease": lease, "now": now, "deliverable": list(DELIVERABLE), "limit": limit}
    rows = list(Notification.objects.raw(_CLAIM_BATCH, params))
    return sorted(rows, key=lambda row: (row.next_attempt_at, row.pk))
