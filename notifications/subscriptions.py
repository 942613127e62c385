"""Which webhooks exist, what they subscribe to and where they point, kept per process.

Every ticket write asks "is any webhook subscribed to this event?" (notifications.webhooks),
and nearly always the answer is no: kept here, asking costs no query. A worker sending a
webhook row reads the URL and the (decrypted) secret here too. What a process read is kept
under a version in the shared cache, as SLA policies are (sla.services): saving or deleting
a webhook sets a new version (at once and again after commit: a process that read the old
rows in between cannot keep them), and versions expire, so even a change made behind the
ORM's back (a queryset update) is seen within WEBHOOKS_VERSION_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.versioned import SharedVersion
from notifications.models import Webhook

WEBHOOKS_VERSION_KEY = "notifications:webhooks:version"
WEBHOOKS_VERSION_SECONDS = 300


@dataclass(frozen=True)
class Target:
    """Where a webhook's rows go, as a worker sends them."""

    id: int
    url: str
    secret: str
    active: bool


@dataclass
class _Kept:
    targets: dict[int, Target] = field(default_factory=dict)
    by_event: dict[str, tuple[int, ...]] = field(default_factory=dict)


_read: dict[str, _Kept] = {}


_shared = SharedVersion(WEBHOOKS_VERSION_KEY, WEBHOOKS_VERSION_SECONDS)


def webhooks_changed(**_signal_arguments) -> None:
    """Retire every process's webhooks (notifications.apps connects it to Webhook's saves
    and deletes)."""
    _shared.bump()


def _version() -> str | None:
    return _shared.current()


def _load() -> _Kept:
    kept = _Kept()
    for webhook in Webhook.objects.order_by("id"):
        kept.targets[webhook.pk] = Target(webhook.pk, webhook.url, webhook.secret, webhook.active)
        if webhook.active:
            for event in webhook.events:
                kept.by_event[event] = (*kept.by_event.get(event, ()), webhook.pk)
    return kept


def _kept() -> _Kept:
    version = _version()
    if version is None:  # no cache to agree on a version with: read every time
        return _load()
    kept = _read.get(version)
    if kept is None:
        _read.clear()
        kept = _read[version] = _load()
    return kept


def subscribed(event: str) -> tuple[int, ...]:
    """Ids of the active webhooks subscribed to `event`, in id order."""
    return _kept().by_event.get(event, ())


def target(webhook_id: int) -> Target | None:
    """The webhook's URL, secret and state as last read (None: it does not exist)."""
    return _kept().targets.get(webhook_id)
