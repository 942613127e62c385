"""What automation reads once per process: its triggers.

Kept under a version in the shared cache (core.versioned, as sla keeps policies): a save or
deletion of a trigger, a condition or an action sets a new version (automation.receivers),
and every process reads again on its next use. The version expires after
AUTOMATION_CACHE_SECONDS, so a change made behind the ORM's back is seen within minutes.
Without a shared cache (it answers nothing), everything is read every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from core.versioned import SharedVersion

VERSION_KEY = "automation:version"
T = TypeVar("T")

_kept: dict[str, tuple[str, object]] = {}


def _shared() -> SharedVersion:
    return SharedVersion(VERSION_KEY, settings.AUTOMATION_CACHE_SECONDS)


def kept(name: str, read: Callable[[], T]) -> T:
    version = _shared().current()
    if version is None:
        return read()
    held = _kept.get(name)
    if held is not None and held[0] == version:
        return held[1]  # type: ignore[return-value]
    value = read()
    _kept[name] = (version, value)
    return value


def changed() -> None:
    """Something automation keeps was changed: every process reads it again (now, and
    again when the change commits)."""
    _shared().bump()
    _kept.clear()
