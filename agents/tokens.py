"""API tokens: issued, listed, rotated, revoked and purged (django-rest-knox's model).

A token is shown once, when it is issued; the database keeps its SHA-512 digest (knox's
`hash_token`) and the first 15 characters (`token_key`, enough to tell tokens apart in a
list, far too few to use). Each token expires API_TOKEN_TTL_DAYS after it is issued
(0: never); agents.authentication refuses an expired one and the nightly task
`api-token-purge` deletes them. Tokens of the DRF era were hashed in place by migration
agents 0010 and kept their key (docs/security.md, "API tokens").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.crypto import hash_token
from knox.models import AuthToken

__all__ = ["AuthToken", "digest", "expires", "issue", "purge_expired", "revoke", "rotate"]


def digest(key: str) -> str:
    """What the database holds for the token `key`."""
    return hash_token(key)


def issue(user: AbstractBaseUser, *, days: int | None = None) -> tuple[AuthToken, str]:
    """A new token for `user` (beside any others), valid `days` (default API_TOKEN_TTL_DAYS;
    0: no expiry). Returns the row and the token itself, which is never readable again."""
    days = settings.API_TOKEN_TTL_DAYS if days is None else days
    return AuthToken.objects.create(user=user, expiry=timedelta(days=days) if days > 0 else None)


@transaction.atomic
def rotate(user: AbstractBaseUser, *, days: int | None = None) -> tuple[AuthToken, str]:
    """Revoke every token of `user` and issue one new one."""
    revoke(user)
    return issue(user, days=days)


def revoke(user: AbstractBaseUser) -> int:
    """Delete every token of `user`; returns how many there were."""
    # One by one, so each deletion reaches the audit log (helpdesk.audit).
    tokens = list(AuthToken.objects.filter(user=user).select_related("user"))
    for token in tokens:
        token.delete()
    return len(tokens)


def purge_expired() -> int:
    """Delete tokens past their expiry; returns how many."""
    deleted, _rows = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted


def expires(token: AuthToken) -> str:
    """When `token` stops working, as a person reads it."""
    if token.expiry is None:
        return _("never expires")
    when = timezone.localtime(token.expiry).strftime("%Y-%m-%d %H:%M %Z")
    if token.expiry <= timezone.now():
        return _("expired %(when)s") % {"when": when}
    return _("expires %(when)s") % {"when": when}
