"""Writes to the mailboxes that Django admin and the API share."""

from __future__ import annotations

from mail.models import Mailbox
from mail.oauth import forget_token


def mailbox_save(*, mailbox: Mailbox) -> Mailbox:
    """Save a mailbox an administrator created or changed (already validated: MailboxForm).

    An OAuth2 sign-in the provider refused before is tried again at the next poll, with a new
    token: the configuration may have changed, and the administrator saving it is the one
    who was asked to act."""
    mailbox.oauth_needs_reauthorization, mailbox.oauth_error, mailbox.oauth_error_at = False, "", None
    mailbox.save()
    forget_token(mailbox)
    return mailbox
