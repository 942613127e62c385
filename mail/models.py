"""The email channel's records: the mailboxes polled, every email received, addresses that bounce.

InboundEmail is the ledger: one row per email received by any route (IMAP, a provider's
webhook, the MTA pipe, the Maildir), written in the same transaction as the ticket or message
it became. Its unique (message_id, content_hash) makes a second arrival of the same email a
no-op, whoever delivers it, and a mailbox lets go of an email only once its row is committed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models import Category, Message, Priority, Ticket


class Security(models.TextChoices):
    TLS = "tls", "TLS (IMAPS, usually port 993)"
    STARTTLS = "starttls", "STARTTLS (usually port 143)"
    NONE = "none", "None (local test servers only)"


class AfterImport(models.TextChoices):
    SEEN = "seen", "Mark as read"
    MOVE = "move", "Move to a folder"
    DELETE = "delete", "Delete"


class Mailbox(models.Model):
    """An IMAP mailbox polled by the worker (mail.imap, beat task mail.tasks.poll_mailboxes)."""

    Security = Security
    AfterImport = AfterImport

    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=255)
    password_env = models.CharField(
        max_length=100,
        help_text="Name of the environment variable that holds the password (never the password itself)",
    )
    folder = models.CharField(max_length=255, default="INBOX")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", help_text="Category of the tickets it opens"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    after_import = models.CharField(max_length=10, choices=AfterImport.choices, default=AfterImport.SEEN)
    move_to = models.CharField(max_length=255, blank=True, help_text="Folder for imported mail (when moving)")
    # Poll state: the folder's UIDVALIDITY and the highest UID taken from it.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_imported = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"
        constraints = [
            models.CheckConstraint(condition=Q(security__in=Security.values), name="mailbox_security_valid"),
            models.CheckConstraint(condition=Q(after_import__in=AfterImport.values), name="mailbox_after_import_valid"),
            models.CheckConstraint(
                condition=~Q(after_import=AfterImport.MOVE) | ~Q(move_to=""), name="mailbox_move_has_folder"
            ),
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        """Its last poll failed."""
        return bool(self.last_error_at) and (self.last_success_at is None or self.last_error_at > self.last_success_at)


class Route(models.TextChoices):
    IMAP = "imap"
    WEBHOOK = "webhook"
    PIPE = "pipe"
    MAILDIR = "maildir"


class Outcome(models.TextChoices):
    TICKET = "ticket", "Opened a ticket"
    REPLY = "reply", "Added to a ticket"
    NOTE = "note", "Internal note (another sender)"
    AUTOMATIC = "automatic", "Automatic mail (recorded only)"
    BOUNCE = "bounce", "Bounce of our mail"
    OWN = "own", "Our own mail (ignored)"
    REFUSED = "refused", "Refused (too large or too many parts)"
    QUARANTINED = "quarantined", "Quarantined (could not be read)"


class InboundEmail(models.Model):
    """One email received (see the module's docstring)."""

    Route = Route
    Outcome = Outcome

    # The Message-ID (normalized), or one derived from the content when it had none.
    email_id = models.CharField(max_length=250)
    # SHA-256 of the email without its transport headers (Received, Delivered-To, ...): the
    # same email fetched twice collides; another email reusing an id does not.
    content_hash = models.CharField(max_length=64)
    route = models.CharField(max_length=10, choices=Route.choices)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.TextField(blank=True, help_text="Why it was classified or quarantined")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField()
    # The email as received, zlib-compressed: downloadable by agents, re-ingestable from admin.
    raw = models.BinaryField()
    acknowledged = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    reingested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "inbound email"
        constraints = [
            models.UniqueConstraint(fields=["email_id", "content_hash"], name="inbound_email_once"),
            models.CheckConstraint(condition=Q(route__in=Route.values), name="inbound_email_route_valid"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="inbound_email_outcome_valid"),
        ]
        indexes = [
            # Acknowledgements sent to one sender lately (the rate limit).
            models.Index(
                fields=["from_address", "received_at"],
                name="inbound_email_acked_idx",
                condition=Q(acknowledged=True),
            ),
            # The quarantine in admin.
            models.Index(
                fields=["-received_at"], name="inbound_email_quarantine_idx", condition=Q(outcome="quarantined")
            ),
            models.Index(fields=["ticket"], name="inbound_email_ticket_idx", condition=Q(ticket__isnull=False)),
            models.Index(fields=["message"], name="inbound_email_message_idx", condition=Q(message__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.subject or self.email_id}"


class BouncedAddress(models.Model):
    """A customer address our mail could not be delivered to (from the bounces received)."""

    email = models.CharField(max_length=320, unique=True, help_text="Lower case")
    reason = models.TextField(blank=True)
    bounces = models.PositiveIntegerField(default=1)
    first_bounced_at = models.DateTimeField(default=timezone.now)
    last_bounced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_bounced_at"]
        verbose_name_plural = "bounced addresses"

    def __str__(self) -> str:
        return self.email
