"""notifications.queries against the ORM: the batch claim takes exactly the first rows of
the ORM's claimable filter (the single claim's, ordering keys included), oldest due first;
marking a batch sent writes what one ORM update per row would; a webhook event's rows are
those the ORM would create; all on varied rows (hypothesis). Every example builds its rows
in a savepoint it rolls back: hypothesis runs its examples inside one test's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import rolled_back
from notifications import queries
from notifications.delivery import _claimable
from notifications.models import DELIVERABLE, WEBHOOK_EVENTS, Channel, DeliveryStatus, Notification, Webhook
from notifications.queries import claim_batch
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

# Minutes from now: past, this very minute, future (a few share a minute: ties on due time).
MINUTES = st.integers(min_value=-3, max_value=3)


@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(list(DeliveryStatus)),
            MINUTES,  # next attempt
            st.one_of(st.none(), MINUTES),  # claimed until: never, expired or held
            st.sampled_from(["", "", "ticket:1", "ticket:2"]),  # ordering key
        ),
        max_size=12,
    ),
    limit=st.integers(min_value=1, max_value=8),
)
@settings(max_examples=60, deadline=None)
def test_the_batch_claim_takes_the_first_claimable_rows_and_claims_them(rows, limit):
    now = timezone.now()
    lease = now + timedelta(minutes=5)
    with rolled_back():
        for status, next_attempt, claimed_until, ordering_key in rows:
            NotificationFactory(
                status=status,
                next_attempt_at=now + timedelta(minutes=next_attempt),
                claimed_until=None if claimed_until is None else now + timedelta(minutes=claimed_until),
                ordering_key=ordering_key,
            )
        # The single claim's filter (claim_one): both claims agree on what may be taken.
        claimable = Notification.objects.filter(_claimable(now)).order_by("next_attempt_at", "id")
        # ...which is the plain rule, said once more without the subquery: deliverable, due,
        # unheld, and no older row of its key still deliverable.
        everything = list(Notification.objects.order_by("id"))
        rule = [
            row.pk
            for row in sorted(everything, key=lambda row: (row.next_attempt_at, row.pk))
            if row.status in DELIVERABLE
            and row.next_attempt_at <= now
            and (row.claimed_until is None or row.claimed_until < now)
            and not (
                row.ordering_key
                and any(
                    o.ordering_key == row.ordering_key and o.pk < row.pk and o.status in DELIVERABLE for o in everything
                )
            )
        ]
        assert list(claimable.values_list("pk", flat=True)) == rule
        expected = list(claimable.values_list("pk", flat=True)[:limit])
        untouched = dict(Notification.objects.exclude(pk__in=expected).values_list("pk", "claimed_until"))

        claimed = claim_batch(now=now, lease=lease, limit=limit)

        assert [row.pk for row in claimed] == expected
        assert all(row.claimed_until == lease for row in claimed)
        assert set(Notification.objects.filter(claimed_until=lease).values_list("pk", flat=True)) == set(expected)
        assert dict(Notification.objects.exclude(pk__in=expected).values_list("pk", "claimed_until")) == untouched


def test_a_claim_takes_no_more_than_its_limit_whatever_join_the_planner_picks():
    """With hash and merge joins and materialisation off, the planner runs the rows to claim
    on the inner side of a nested loop, as it did on its own when the outbox's statistics
    said it was nearly empty. The claim took every due row then (5 of 5 for a limit of 1)."""
    now = timezone.now()
    NotificationFactory.create_batch(5, next_attempt_at=now - timedelta(minutes=1))
    with connection.cursor() as cursor:
        for setting in ("enable_hashjoin", "enable_mergejoin", "enable_material"):
            cursor.execute(f"SET LOCAL {setting} = off")

    claimed = claim_batch(now=now, lease=now + timedelta(minutes=5), limit=1)

    assert len(claimed) == 1
    assert Notification.objects.filter(claimed_until__isnull=False).count() == 1


def test_the_batch_claim_names_the_deliverable_statuses_it_writes_out():
    """The ordering check's statuses are in the statement's text (for the partial index)."""
    assert "earlier.status IN ('pending', 'failed')" in queries._CLAIM_BATCH
    assert tuple(DELIVERABLE) == ("pending", "failed")


def _outbox_state() -> list[tuple]:
    return list(
        Notification.objects.order_by("id").values_list(
            "status", "attempts", "sent_at", "claimed_until", "last_error", "response_status", "latency_ms"
        )
    )


ANSWERS = st.tuples(st.one_of(st.none(), st.integers(100, 599)), st.one_of(st.none(), st.integers(0, 60_000)))


@given(
    rows=st.lists(
        st.tuples(st.sampled_from(list(DeliveryStatus)), st.integers(0, 5), st.booleans(), ANSWERS), max_size=10
    ),
    data=st.data(),
)
@settings(max_examples=40, deadline=None)
def test_marking_a_batch_sent_writes_what_one_orm_update_per_row_would(rows, data):
    now = timezone.now()
    marked = data.draw(st.lists(st.integers(0, max(len(rows) - 1, 0)), unique=True, max_size=len(rows)))
    marked = [index for index in marked if index < len(rows)]
    answers = {index: rows[index][3] for index in marked}

    def build() -> list[Notification]:
        return [
            NotificationFactory(
                status=status,
                attempts=attempts,
                claimed_until=now if claimed else None,
                last_error="boom" if status == "failed" else "",
                response_status=500 if status == "failed" else None,
            )
            for status, attempts, claimed, _answer in rows
        ]

    with rolled_back():
        built = build()
        for index in marked:
            response_status, latency_ms = answers[index]
            Notification.objects.filter(pk=built[index].pk).update(
                status=DeliveryStatus.SENT,
                attempts=F("attempts") + 1,
                sent_at=now,
                claimed_until=None,
                last_error="",
                response_status=response_status,
                latency_ms=latency_ms,
            )
        expected = _outbox_state()
    with rolled_back():
        built = build()
        count = queries.mark_sent([(built[i].pk, *answers[i]) for i in marked], sent_at=now)
        assert count == len(marked)
        assert _outbox_state() == expected


@given(
    webhooks=st.lists(
        st.tuples(st.lists(st.sampled_from(WEBHOOK_EVENTS), unique=True, max_size=3), st.booleans()), max_size=6
    ),
    event=st.sampled_from(WEBHOOK_EVENTS),
    any_event=st.booleans(),
    picked=st.lists(st.integers(0, 7), unique=True, max_size=8),  # 6 and 7: no such webhook
    ordering_key=st.sampled_from(["", "ticket:9"]),
)
@settings(max_examples=40, deadline=None)
def test_a_webhook_events_rows_are_those_the_orm_would_write(webhooks, event, any_event, picked, ordering_key):
    now = timezone.now()
    data = {"ticket": {"id": 9, "subject": "Ünïcode ✓", "tags": ["a", "b"]}, "changes": [{"field": "status"}]}
    with rolled_back():
        hooks = [
            Webhook.objects.create(name=f"w{n}", url="https://example.com/hook", events=events, active=active)
            for n, (events, active) in enumerate(webhooks)
        ]
        ids = [hooks[index].pk if index < len(hooks) else 10**9 + index for index in picked]
        chosen = Webhook.objects.filter(pk__in=ids, active=True).order_by("pk")
        if not any_event:
            chosen = chosen.filter(events__contains=[event])
        expected = [
            (Channel.WEBHOOK.value, webhook.recipient, event, {"data": data}, "pending", 0, now, now, ordering_key)
            for webhook in chosen
        ]

        written = queries.insert_webhook_rows(
            webhook_ids=ids,
            event=event,
            payload={"data": data},
            ordering_key=ordering_key,
            now=now,
            any_event=any_event,
        )

        fields = ["channel", "recipient", "kind", "payload", "status", "attempts", "next_attempt_at", "created_at"]
        rows = Notification.objects.filter(pk__in=written).order_by("pk").values_list(*fields, "ordering_key")
        assert [tuple(row) for row in rows] == expected
        assert Notification.objects.count() == len(written)
