"""/api/health's warnings about the mailboxes (registered in MailConfig.ready): one whose
OAuth2 sign-in the provider refused ("needs re-authorization": it is skipped until an
administrator acts), and one whose last poll failed.

A failing mailbox is worth an operator's look but leaves the site ready to serve, so it is a
warning, never a 503. The answer is public (the probe needs no sign-in): it names the
mailbox and when its poll failed, not the error, which Django admin shows.
"""

from __future__ import annotations

from django.db.models import F, Q

from mail.models import Auth, Mailbox


def needs_attention() -> Q:
    """Mailboxes that need re-authorization or whose last poll failed (Mailbox.failing, in SQL);
    also the API's `failing` filter."""
    needs_reauthorization = Q(auth=Auth.OAUTH2, oauth_needs_reauthorization=True)
    never_succeeded = Q(last_success_at__isnull=True)
    failed = Q(last_error_at__isnull=False) & (never_succeeded | Q(last_error_at__gt=F("last_success_at")))
    return needs_reauthorization | failed


def failing_mailboxes() -> list[str]:
    """One sentence per enabled mailbox that needs re-authorization or whose last poll failed, by name."""
    rows = (
        Mailbox.objects.filter(enabled=True)
        .filter(needs_attention())
        .order_by("name")
        .values_list("name", "auth", "oauth_needs_reauthorization", "oauth_error_at", "last_error_at")
    )
    warnings = []
    for name, auth, refused, refused_at, failed_at in rows:
        if auth == Auth.OAUTH2 and refused:
            since = f" since {refused_at.isoformat()}" if refused_at else ""
            warnings.append(
                f"mailbox {name!r}: needs re-authorization (the provider refused its OAuth2 sign-in{since}; "
                "it is not polled until an administrator fixes it)"
            )
        else:
            warnings.append(f"mailbox {name!r}: the last poll failed at {failed_at.isoformat()}")
    return warnings
