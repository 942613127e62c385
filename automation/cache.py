"""What automation reads once per process: triggers, the webhooks' subscriptions.

Kept under a version in the shared cache (as sla.services keeps policies): a save or
deletion of a trigger, a condition or an action sets a new version (automation.receivers),
and every process reads again on its next use. The version expires after
AUTOMATION_CACHE_SECONDS, so a change made behind the ORM's back is seen within minutes.
Without a shared cache (it is down), everything is read every time.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "automation:version"
T = TypeVar("T")

_kept: dict[str, tuple[str, object]] = {}


def _version() -> str | None:
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=settings.AUTOMATION_CACHE_SECONDS)
            version = cache.get(VERSION_KEY)
    except Exception:  # the cache is down: read from the database
        return None
    return version


def kept(name: str, read: Callable[[], T]) -> T:
    version = _version()
    if version is None:
        return read()
    held = _kept.get(name)
    if held is not None and held[0] == version:
        return held[1]  # type: ignore[return-value]
    value = read()
    _kept[name] = (version, value)
    return value


def changed() -> None:
    """Something automation keeps was changed: every process reads it again."""
    with contextlib.suppress(Exception):  # the cache is down: nobody keeps anything
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=settings.AUTOMATION_CACHE_SECONDS)
    _kept.clear()
