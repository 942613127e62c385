"""The outbox's hand-written SQL: the sweepers' batch claim (notifications.delivery explains
the claims), marking a batch sent, and a webhook event's rows; each checked against the ORM
in notifications/tests/test_queries.py."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from notifications.models import DELIVERABLE, Channel, DeliveryStatus, Notification

# Find, lock and claim in one statement: the ORM would take a SELECT ... FOR UPDATE SKIP
# LOCKED and an UPDATE, two round trips per batch while holding the locks.
#
# The rows to claim are a MATERIALIZED CTE, which PostgreSQL evaluates exactly once. As a
# subquery joined in the UPDATE's FROM, a plan putting it on the inner side of a nested loop
# re-ran it for every outer row: each run skipped the rows this statement had just updated
# (SKIP LOCKED passes over rows the command itself changed) and locked the next ones, so a
# claim of `limit` rows took every due row. It happened when the table's statistics made
# the outbox look nearly empty; the equivalence test caught it (3 rows asked, all taken).
#
# A row whose ordering key has an older row still to deliver is not taken (delivery explains
# why); such rows are found through notification_ordering_idx, which holds only keyed rows
# in flight. The statuses are written out (DELIVERABLE; test_queries checks they agree), not
# passed: the planner uses a partial index only for a predicate it can see implies the
# index's. Under READ COMMITTED a claim that runs while the older row is being marked
# sent still sees it pending: the later row waits for the next claim, never the reverse.
_CLAIM_BATCH = """
WITH due AS MATERIALIZED (
    SELECT id FROM notifications_notification
     WHERE status = ANY(%(deliverable)s) AND next_attempt_at <= %(now)s
       AND (claimed_until IS NULL OR claimed_until < %(now)s)
       AND (ordering_key = '' OR NOT EXISTS (
            SELECT FROM notifications_notification AS earlier
             WHERE earlier.ordering_key = notifications_notification.ordering_key
               AND earlier.id < notifications_notification.id
               AND earlier.status IN ('pending', 'failed') AND earlier.ordering_key <> ''
           ))
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


# A batch's rows marked sent in one statement, each with its own answer (status, latency):
# the ORM would take one UPDATE per distinct pair.
_MARK_SENT = """
UPDATE notifications_notification AS sent
   SET "status" = %(sent)s, "attempts" = sent.attempts + 1, "sent_at" = %(sent_at)s, "claimed_until" = NULL,
       "last_error" = '', "response_status" = answer.response_status, "latency_ms" = answer.latency_ms
  FROM unnest(%(ids)s::bigint[], %(statuses)s::smallint[], %(latencies)s::integer[])
       AS answer (id, response_status, latency_ms)
 WHERE sent.id = answer.id
"""


def mark_sent(rows: list[tuple[int, int | None, int | None]], *, sent_at: datetime) -> int:
    """Mark rows sent at `sent_at`, one more attempt each, claim and error cleared; `rows`
    are (id, response status, latency in ms), None where the channel has no answer to tell."""
    if not rows:
        return 0
    ids, statuses, latencies = (list(column) for column in zip(*rows, strict=True))
    params = {"sent": DeliveryStatus.SENT.value, "sent_at": sent_at, "ids": ids, "statuses": statuses}
    params["latencies"] = latencies
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SENT, params)
        return cursor.rowcount


# One row per webhook, for one event, in one statement: the webhooks named, still there and
# active, and (unless `any_event`, an automation rule's explicit call) still subscribed to
# the event, whatever the caller's kept list said (notifications.subscriptions).
_WEBHOOK_ROWS = """
INSERT INTO notifications_notification
    (channel, recipient, kind, payload, status, attempts, next_attempt_at, created_at, last_error, ordering_key)
SELECT %(channel)s::varchar, 'webhook:' || webhook.id, %(event)s::varchar, %(payload)s::jsonb, %(pending)s::varchar,
       0, %(now)s::timestamptz, %(now)s::timestamptz, '', %(ordering_key)s::varchar
  FROM notifications_webhook AS webhook
 WHERE webhook.id = ANY(%(webhook_ids)s::bigint[]) AND webhook.active
   AND (%(any_event)s::boolean OR %(event)s::varchar = ANY(webhook.events))
 ORDER BY webhook.id
RETURNING id
"""


def insert_webhook_rows(
    *,
    webhook_ids: list[int],
    event: str,
    payload: dict[str, Any],
    ordering_key: str,
    now: datetime,
    any_event: bool = False,
) -> list[int]:
    """Insert a pending webhook row for each of `webhook_ids` that is active and subscribed
    to `event` (any event with `any_event`); their ids, in webhook order."""
    params = {
        "channel": Channel.WEBHOOK.value,
        "event": event,
        "payload": json.dumps(payload, cls=DjangoJSONEncoder),
        "pending": DeliveryStatus.PENDING.value,
        "now": now,
        "ordering_key": ordering_key,
        "webhook_ids": list(webhook_ids),
        "any_event": any_event,
    }
    with connection.cursor() as cursor:
        cursor.execute(_WEBHOOK_ROWS, params)
        return sorted(row[0] for row in cursor.fetchall())
