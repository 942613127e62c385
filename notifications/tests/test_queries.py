"""notifications.queries against the ORM: the batch claim takes exactly the first rows of
the ORM's claimable filter, oldest due first, on varied rows (hypothesis). Every example
builds its rows in a savepoint it rolls back: hypothesis runs its examples inside one
test's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import rolled_back
from notifications.models import DeliveryStatus, Notification
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
        for status, next_attempt, claimed_until in rows:
            NotificationFactory(
                status=status,
                next_attempt_at=now + timedelta(minutes=next_attempt),
                claimed_until=None if claimed_until is None else now + timedelta(minutes=claimed_until),
            )
        claimable = Notification.objects.filter(
            Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=now),
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        ).order_by("next_attempt_at", "id")
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
