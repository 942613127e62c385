"""dispatch_together: rows committed in the block reach the workers at its end, together."""

from __future__ import annotations

import pytest
from django.db import transaction

from notifications import services
from notifications.models import Channel

pytestmark = pytest.mark.django_db(transaction=True)


def test_rows_committed_in_the_block_are_dispatched_once_at_its_end(monkeypatch):
    dispatched: list[list[int]] = []
    monkeypatch.setattr(services.deliver_notifications, "delay", lambda ids: dispatched.append(list(ids)))
    monkeypatch.setattr(services, "DISPATCH_BATCH", 2)

    def enqueue(n: int) -> int:
        return services.notification_enqueue(
            channel=Channel.EMAIL, recipient=f"c{n}@example.org", kind="test", payload={"text": "hi"}
        ).pk

    with services.dispatch_together():
        kept = []
        for n in range(3):
            with transaction.atomic():
                kept.append(enqueue(n))
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(99)  # rolled back: never handed over
            raise RuntimeError
        assert dispatched == []  # nothing yet: the block has not ended
    assert dispatched == [kept[:2], kept[2:]]

    with transaction.atomic():
        alone = enqueue(7)
    assert dispatched[-1] == [alone]  # outside the block: one task per row, as before
