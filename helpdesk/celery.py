"""The Celery application and its one beat schedule.

Beat is only a clock: every periodic job is listed here, in code, and each entry only
enqueues a task that is safe to run twice.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule() -> dict:
    # Imported here: this module is imported while Django's settings load (helpdesk/__init__).
    from django.conf import settings

    return {
        # Records overdue and at-risk tickets and queues their alerts.
        "sla-scan": {
            "task": "sla.tasks.scan_sla",
            "schedule": settings.SLA_SCAN_INTERVAL_SECONDS,
        },
        # Time rules: records which tickets each active rule now matches (once per ticket per
        # state) and applies a batch of them. A run that waited a whole interval is dropped.
        "time-rules": {
            "task": "automation.tasks.run_time_rules",
            "schedule": settings.AUTOMATION_TIME_RULES_INTERVAL_SECONDS,
            "options": {"expires": settings.AUTOMATION_TIME_RULES_INTERVAL_SECONDS},
        },
        # Delivers outbox rows whose dispatch was lost, retries, and rows of crashed workers.
        "deliver-due-notifications": {
            "task": "notifications.tasks.deliver_due_notifications",
            "schedule": 60.0,
        },
        # Takes new mail from the IMAP mailboxes and the Maildir (MAIL_MAILDIR). A poll that
        # waited longer than the interval in the queue is dropped: the next one is on its way.
        "poll-mailboxes": {
            "task": "mail.tasks.poll_mailboxes",
            "schedule": settings.MAIL_POLL_SECONDS,
            "options": {"expires": settings.MAIL_POLL_SECONDS},
        },
        # Anonymizes closed tickets past PRIVACY_RETENTION_DAYS (nothing when it is 0).
        "privacy-retention": {
            "task": "privacy.tasks.erase_expired_tickets",
            "schedule": 24 * 60 * 60,
            "options": {"expires": 60 * 60},
        },
        # Deletes API tokens past their expiry (API_TOKEN_TTL_DAYS).
        "api-token-purge": {
            "task": "agents.tasks.purge_expired_tokens",
            "schedule": crontab(minute=27, hour=3),
        },
        # Queues again the bulk changes whose worker or task was lost (no progress for 5 minutes).
        "resume-stalled-bulk-jobs": {
            "task": "workspace.tasks.resume_stalled_bulk_jobs",
            "schedule": 5 * 60.0,
            "options": {"expires": 5 * 60},
        },
        "clear-expired-sessions": {
            "task": "helpdesk.tasks.clear_expired_sessions",
            "schedule": crontab(minute=17, hour=3),
        },
        # Deletes the API's idempotency keys past their 24 hours (core.idempotency). Hourly,
        # so that each run deletes about an hour of a busy integration's keys, not a day of them.
        "purge-idempotency-keys": {
            "task": "core.tasks.purge_idempotency_keys",
            "schedule": crontab(minute=41),
        },
    }


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **kwargs) -> None:
    # Read once Django's settings are loaded (this module is imported while they load).
    sender.conf.beat_schedule = beat_schedule()
