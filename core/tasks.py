from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.idempotency import purge_expired_keys


# Named as before the move to core: beat entries and workers of the previous release
# refer to these names, so a rolling deploy keeps both sides speaking the same task.
@shared_task(name="helpdesk.tasks.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry date; returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(name="helpdesk.tasks.ping")
def ping() -> str:
    """Answer "pong": lets operators and tests see that a worker consumes the queue."""
    return "pong"


@shared_task(name="core.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete the API's idempotency keys past their 24 hours; returns how many were removed."""
    return purge_expired_keys()
