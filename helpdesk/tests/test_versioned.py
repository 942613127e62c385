"""core.versioned: the shared version that processes keep rarely-changing rows under."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.versioned import SharedVersion


@pytest.mark.django_db
def test_a_version_stays_until_bumped_now_and_again_on_commit(django_capture_on_commit_callbacks):
    shared = SharedVersion("tests:versioned", 60)
    first = shared.current()
    assert first is not None and shared.current() == first

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        shared.bump()
        during = shared.current()
        assert during != first  # at once: this transaction's own reads see the change
    after = shared.current()
    assert after not in (first, during)  # and again once committed
