"""A version in the shared cache, for what each process keeps of rows that rarely change
(SLA policies and calendars, webhooks' subscriptions, automation's triggers).

A process keeps what it read under the version it read it at and reads again once the
version differs. Any change sets a new version twice: at once, and after commit, so that a
process that read the old rows in between cannot keep them under the new one. Versions
expire, so even a change made behind the ORM's back (a queryset update, SQL) is seen within
`seconds`. Without a shared cache (it answers nothing), `current()` is None: read every time.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction


class SharedVersion:
    def __init__(self, key: str, seconds: int) -> None:
        self.key = key
        self.seconds = seconds

    def current(self) -> str | None:
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=self.seconds)
            version = cache.get(self.key)
        return version

    def bump(self, **_signal_arguments) -> None:
        """Retire every process's copy (also a receiver of post_save and post_delete)."""
        self._set()
        transaction.on_commit(self._set)

    def _set(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, timeout=self.seconds)
