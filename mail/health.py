"""/api/health's warning about mailboxes whose last poll failed (registered in MailConfig.ready).

A failing mailbox is worth an operator's look but leaves the site ready to serve, so it is a
warning, never a 503. The answer is public (the probe needs no sign-in): it names the
mailbox and when its poll failed, not the error, which Django admin shows.
"""

from __future__ import annotations

from django.db.models import F, Q

from mail.models import Mailbox


def failing_mailboxes() -> list[str]:
    """One sentence per enabled mailbox whose last poll failed (Mailbox.failing, in SQL)."""
    failing = (
        Mailbox.objects.filter(enabled=True, last_error_at__isnull=False)
        .filter(Q(last_success_at__isnull=True) | Q(last_error_at__gt=F("last_success_at")))
        .order_by("name")
        .values_list("name", "last_error_at")
    )
    return [f"mailbox {name!r}: the last poll failed at {at.isoformat()}" for name, at in failing]
