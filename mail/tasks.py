from __future__ import annotations

from celery import shared_task
from django.conf import settings

from mail.imap import poll_enabled_mailboxes
from mail.maildir import poll_maildir


@shared_task(ignore_result=True)
def poll_mailboxes() -> dict[str, int]:
    """Beat runs this every MAIL_POLL_SECONDS: every enabled IMAP mailbox, then the Maildir
    when MAIL_MAILDIR is set. Safe to run twice or at once (a mailbox being polled is skipped)."""
    results = poll_enabled_mailboxes()
    summary = {
        "mailboxes": len(results),
        "failed": sum(1 for result in results if result.error),
        "skipped": sum(1 for result in results if result.skipped),
        "fetched": sum(result.fetched for result in results),
        "imported": sum(result.imported for result in results),
    }
    if settings.MAIL_MAILDIR:
        maildir = poll_maildir(settings.MAIL_MAILDIR)
        summary["maildir_taken"] = maildir.taken
        summary["maildir_imported"] = maildir.imported
    return summary
