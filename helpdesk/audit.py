"""What the audit log records (core.audit): configuration, not traffic.

Registered with django-auditlog when the project starts (HelpdeskConfig.ready): SLA
policies, business calendars, their hours and holidays, categories, agents (role, capacity,
hours, specializations), users (password masked; sign-in times left out), mailboxes (the
poll's own bookkeeping left out), webhooks (a rotated secret recorded as changed, masked
ciphertext only), second factors (added or removed; never their secret), and
API tokens, which are written by hand below so that
neither the token's digest (its primary key) nor its first characters land in the log.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from auditlog.context import set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save

from agents.models import Agent
from agents.tokens import AuthToken as Token
from mail.models import Mailbox
from notifications.models import Webhook
from sla.models import BusinessCalendar, BusinessHours, Holiday, SLAPolicy
from tickets.models import Category

MAILBOX_BOOKKEEPING = [
    "uid_validity",
    "last_uid",
    "last_polled_at",
    "last_success_at",
    "last_error",
    "last_error_at",
    "last_imported",
    "oauth_error",
    "oauth_error_at",
    "oauth_needs_reauthorization",
    "oauth_rotated_refresh_token",
    "oauth_rotated_from",
    "oauth_rotated_at",
    "created_at",
]


def register() -> None:
    auditlog.register(SLAPolicy, exclude_fields=["created_at"])
    auditlog.register(BusinessCalendar)
    auditlog.register(BusinessHours)
    auditlog.register(Holiday)
    auditlog.register(Category)
    auditlog.register(
        Agent,
        include_fields=["name", "email", "role", "max_tickets", "timezone", "working_hours", "specializations"],
        m2m_fields={"specializations"},
    )
    auditlog.register(
        get_user_model(),
        exclude_fields=["last_login", "date_joined"],
        mask_fields=["password"],
        m2m_fields={"groups", "user_permissions"},
    )
    auditlog.register(Mailbox, exclude_fields=MAILBOX_BOOKKEEPING)
    auditlog.register(Webhook, exclude_fields=["created_at", "updated_at"], mask_fields=["secret_encrypted"])
    # A second factor added or removed (its secret, in `data`, never logged; nor each use).
    auditlog.register(Authenticator, include_fields=["user", "type"])
    post_save.connect(_token_saved, sender=Token, dispatch_uid="helpdesk.audit.token_saved")
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="helpdesk.audit.token_deleted")


def _token_entry(token: Token, action: int, changes: dict) -> None:
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Token),
        object_pk=str(token.user_id),
        object_id=token.user_id,
        object_repr=f"API token of {token.user.get_username()}",
        action=action,
        changes=changes,
    )


def _expiry(token: Token) -> str | None:
    return token.expiry.isoformat() if token.expiry else None


def _token_saved(sender, instance: Token, created: bool, **kwargs) -> None:
    if created:
        _token_entry(
            instance,
            LogEntry.Action.CREATE,
            {"user": [None, instance.user.get_username()], "expiry": [None, _expiry(instance)]},
        )


def _token_deleted(sender, instance: Token, **kwargs) -> None:
    _token_entry(
        instance,
        LogEntry.Action.DELETE,
        {"user": [instance.user.get_username(), None], "expiry": [_expiry(instance), None]},
    )


def through_command(name: str):
    """The audit log's context for a manage.py command (manage.py enters it)."""
    return set_extra_data({"additional_data": {"via": f"command {name}"}})
