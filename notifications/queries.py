"""The outbox's hand-written SQL: the sweepers' batch claim (notifications.delivery explains
the claims), checked against the ORM in notifications/tests/test_queries.py."""

from __future__ import annotations

from datetime import datetime

from notifications.models import DELIVERABLE, Notification

# Find, lock and claim in one statement: the ORM would take a SELECT ... FOR UPDATE SKIP
# LOCKED and an UPDATE, two round trips per batch while holding the locks.
_CLAIM_BATCH = """
UPDATE notifications_notification AS claimed SET claimed_until = %(lease)s
  FROM (SELECT id FROM notifications_notification
         WHERE status = ANY(%(deliverable)s) AND next_attempt_at <= %(now)s
           AND (claimed_until IS NULL OR claimed_until < %(now)s)
         ORDER BY next_attempt_at, id
         LIMIT %(limit)s
           FOR UPDATE SKIP LOCKED) AS due
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
