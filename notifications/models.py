"""The notification outbox: every email, Slack message and in-app notice is a row first.

A row is written in the same transaction as the change that caused it, then delivered by a
worker, at least once, with retries. See notifications/services.py for the life of a row.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import crypto
from core.outbound import validate_url
from notifications.payloads import describe, reader_language


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SLACK = "slack", _("Slack")
    # The in-app notices behind the bell, not the supervisors' dashboard page.
    DASHBOARD = "dashboard", pgettext_lazy("notification channel", "Dashboard")
    # Integrators' URLs, POSTed signed JSON (notifications.webhooks; docs/webhooks.md).
    WEBHOOK = "webhook", _("Webhook")


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
    # The last attempt's answer (webhooks and Slack): its HTTP status and how long it took.
    # Nullable without a default, and without a CHECK: adding them touches no row of a large
    # outbox (PostgreSQL only records the columns in its catalog).
    response_status = models.SmallIntegerField(_("response status"), null=True, blank=True)
    latency_ms = models.IntegerField(_("latency (ms)"), null=True, blank=True)
    # Rows sharing a non-empty key are delivered in id order: one is not claimed while an
    # older row of its key is pending or failed (a dead one no longer holds the rest back).
    # Webhooks use the ticket ("ticket:<id>"), so a receiver sees a ticket's events in order.
    ordering_key = models.CharField(_("ordering key"), max_length=200, blank=True, default="", db_default="")

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
            # The claims' "an older row of the same key is still deliverable" check
            # (notifications.queries.claim_batch, delivery._claimable): only keyed rows still
            # to deliver, so it stays as small as what is in flight. Built concurrently
            # (migration 0006): the outbox may be large.
            models.Index(
                fields=["ordering_key", "id"],
                name="notification_ordering_idx",
                condition=Q(status__in=DELIVERABLE) & ~Q(ordering_key=""),
            ),
            # A webhook's delivery log, newest first (the API's deliveries, the admin's log):
            # recipient = 'webhook:<id>' ORDER BY id DESC, read backwards; webhook rows only.
            # Built concurrently (migration 0006).
            models.Index(
                fields=["recipient", "id"],
                name="notification_webhook_log_idx",
                condition=Q(channel=Channel.WEBHOOK),
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


# What an integrator may subscribe a webhook to (docs/webhooks.md). `trigger.fired` is sent
# only by an automation rule that calls a webhook by name; "ping" (TEST_EVENT) only by the
# API's test, to that one webhook, and is never subscribed to.
WEBHOOK_EVENTS = [
    "ticket.created",
    "ticket.updated",
    "message.created",
    "sla.warning",
    "sla.violation",
    "feedback.received",
    "trigger.fired",
]
TEST_EVENT = "ping"

# core.crypto's purpose for webhook secrets: their ciphertext opens nothing else.
SECRET_SALT = "notifications.webhook.secret"  # noqa: S105  # nosec B105  # a purpose, not a secret


def new_secret() -> str:
    return secrets.token_hex(32)


class Webhook(models.Model):
    """An integrator's URL, POSTed every event it subscribes to, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[validate_url],  # https to a public address (core.outbound)
        help_text=_("https only, to a public address (or a host of OUTGOING_URL_ALLOWLIST)"),
    )
    events = ArrayField(
        models.CharField(max_length=40, choices=[(event, event) for event in WEBHOOK_EVENTS]),
        verbose_name=_("events"),
        default=list,
        blank=True,
    )
    # Encrypted at rest (core.crypto); read and set through `secret`.
    secret_encrypted = models.TextField(_("secret (encrypted)"), editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(events__contained_by=WEBHOOK_EVENTS), name="webhook_events_known"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.secret_encrypted:  # a webhook is never without a secret to sign with
            self.secret = new_secret()
        super().save(*args, **kwargs)

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted, salt=SECRET_SALT) if self.secret_encrypted else ""

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = crypto.encrypt(value, salt=SECRET_SALT)

    @property
    def recipient(self) -> str:
        """What its outbox rows name it by (notifications.channels.WebhookChannel)."""
        return f"webhook:{self.pk}"


class WebhookDeliveryManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(channel=Channel.WEBHOOK)


class WebhookDelivery(Notification):
    """The webhook rows of the outbox, as the admin's delivery log lists them."""

    objects = WebhookDeliveryManager()

    class Meta:
        proxy = True
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
