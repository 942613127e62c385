from __future__ import annotations

from celery import shared_task

from privacy.services import erase_expired


@shared_task(ignore_result=True)
def erase_expired_tickets() -> int:
    """Beat runs this daily: closed tickets past PRIVACY_RETENTION_DAYS are anonymized."""
    return erase_expired()
