"""The notification outbox: every email, Slack message and in-app notice is a row first.

A row is written in the same transaction as the change that caused it, then delivered by a
worker, at least once, with retries. See notifications/services.py for the life of a row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from notifications.payloads import describe, reader_language


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SLACK = "slack", _("Slack")
    # The in-app notices behind the bell, not the supervisors' dashboard page.
    DASHBOARD = "dashboard", pgettext_lazy("notification channel", "Dashboard")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("notification delivery", "Pending")
    SENT = "sent", pgettext_lazy("notification delivery", "Sent")
    # the last attempt failed; another is scheduled at next_attempt_at
    FAILED = "failed", pgettext_lazy("notification delivery", "Failed")
    # no more attempts; an administrator may re-queue it
    DEAD = "dead", pgettext_lazy("notification delivery", "Dead")


DELIVERABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class Notification(models.Model):
    Channel = Channel
    Status = DeliveryStatus

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # An email address, a webhook name, or the username of a dashboard notification.
    recipient = models.CharField(_("recipient"), max_length=254)
    # An SLA scan writes tens of thousands of rows at once with user ids it read in the same
    # statement; no per-row foreign-key check (see sla.models.SLAEvent). Deleting a user still
    # deletes their rows through Django; the inbox index serves the per-user reads.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_constraint=False,
        db_index=False,
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=64, help_text=_("What happened, e.g. ticket.created"))
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # A worker that claims a row owns it until then; a crashed worker's claim simply expires.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="notification_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="notification_status_valid"),
            models.CheckConstraint(
                condition=Q(channel=Channel.DASHBOARD) | Q(read_at__isnull=True),
                name="notification_read_dashboard",
            ),
        ]
        indexes = [
            # The sweeper's "due rows" query: status IN (pending, failed) AND next_attempt_at <= now,
            # oldest first (ORDER BY next_attempt_at, id LIMIT n): with id in the index a claim
            # reads its n rows from the index instead of sorting every due row (an SLA scan's
            # thousands share one next_attempt_at).
            models.Index(
                fields=["next_attempt_at", "id"],
                name="notification_due_idx",
                condition=Q(status__in=DELIVERABLE),
            ),
            # A user's unread dashboard notifications (the bell's count).
            models.Index(
                fields=["user", "-created_at"],
                name="notification_inbox_idx",
                condition=Q(channel=Channel.DASHBOARD),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel}:{self.recipient} ({self.status})"

    @cached_property
    def details(self) -> dict:
        """The payload as people read it: SLA facts expanded (see notifications.payloads)."""
        return describe(self)

    @cached_property
    def reader_language(self) -> str:
        """The language an email rendered at delivery is written in (notifications.payloads)."""
        return reader_language(self)
