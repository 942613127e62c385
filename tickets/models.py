from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
)
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower, Now, Trim, Upper
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agents.models import EMAIL_SHAPE, LANGUAGE_CHOICES, validate_email_shape

SUBJECT_MAX = 255
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 5000
BODY_MIN, BODY_MAX = 1, 10000
RATING_MIN, RATING_MAX = 1, 5


def length_between(field: str, low: int, high: int, name: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=GreaterThanOrEqual(Length(field), low), name=f"{name}_min_length"),
        models.CheckConstraint(condition=LessThanOrEqual(Length(field), high), name=f"{name}_max_length"),
    ]


def new_access_key() -> str:
    return secrets.token_urlsafe(24)


class Category(models.Model):
    """What a ticket is about; agents specialise in categories and SLA policies target them."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    # Routing: a new ticket of this category goes to this team's queue.
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
        verbose_name=_("team"),
        help_text=_("New tickets of this category go to this team."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="category_slug_not_empty"),
            models.CheckConstraint(condition=~Q(name=""), name="category_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="tag_name_not_empty")]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("ticket priority", "Low")
    NORMAL = "normal", pgettext_lazy("ticket priority", "Normal")
    HIGH = "high", pgettext_lazy("ticket priority", "High")
    URGENT = "urgent", pgettext_lazy("ticket priority", "Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING = "pending", pgettext_lazy("ticket status", "Pending (waiting on customer)")
    ON_HOLD = "on_hold", pgettext_lazy("ticket status", "On hold (waiting on a third party)")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# Statuses that count against an agent's capacity and that SLA clocks watch.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

# A status named in passing, inside a sentence ("#42 Printer offline (pending)" in an email):
# one word, where the choice label would explain itself in parentheses of its own.
STATUS_WORDS = {
    # Translators: a ticket's status in parentheses after its subject, in emails to customers and
    # to agents: keep it short and lower case.
    Status.NEW: pgettext_lazy("ticket status, in a sentence", "new"),
    Status.OPEN: pgettext_lazy("ticket status, in a sentence", "open"),
    Status.PENDING: pgettext_lazy("ticket status, in a sentence", "pending"),
    Status.ON_HOLD: pgettext_lazy("ticket status, in a sentence", "on hold"),
    Status.RESOLVED: pgettext_lazy("ticket status, in a sentence", "resolved"),
    Status.CLOSED: pgettext_lazy("ticket status, in a sentence", "closed"),
}


# A ticket's status as its customer reads it (the portal, the "your requests" email): what it
# means for them, not the desk's workflow term.
CUSTOMER_STATUS_WORDS = {
    # Translators: the status of a customer's request, on their page and in emails to them
    # («обращение»: neuter in Russian).
    Status.NEW: pgettext_lazy("customer's request status", "Received"),
    Status.OPEN: pgettext_lazy("customer's request status", "In progress"),
    Status.PENDING: pgettext_lazy("customer's request status", "Waiting for your reply"),
    Status.ON_HOLD: pgettext_lazy("customer's request status", "On hold"),
    Status.RESOLVED: pgettext_lazy("customer's request status", "Resolved"),
    Status.CLOSED: pgettext_lazy("customer's request status", "Closed"),
}


class Channel(models.TextChoices):
    PORTAL = "portal", pgettext_lazy("ticket channel", "Portal")
    API = "api", pgettext_lazy("ticket channel", "Api")
    AGENT = "agent", pgettext_lazy("ticket channel", "Agent")
    EMAIL = "email", pgettext_lazy("ticket channel", "Email")
    # Opened by an agent for a customer who called or came to the desk (workspace.new_ticket).
    PHONE = "phone", pgettext_lazy("ticket channel", "Phone")
    WALK_IN = "walk_in", pgettext_lazy("ticket channel", "Walk-in")


class Ticket(models.Model):
    Priority = Priority
    Status = Status
    Channel = Channel

    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX, validators=[MinLengthValidator(1)])
    description = models.TextField(
        _("description"), validators=[MinLengthValidator(DESCRIPTION_MIN), MaxLengthValidator(DESCRIPTION_MAX)]
    )
    customer_email = models.EmailField(_("customer email"), max_length=254, validators=[validate_email_shape])
    customer_name = models.CharField(_("customer name"), max_length=255, blank=True)
    external_customer_id = models.CharField(_("external customer id"), max_length=255, blank=True)
    # The customer's profile (customers.Customer, keyed by the normalized customer_email);
    # customer_email stays the address this conversation is written to.
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    # The queue it sits in; a restricted team's tickets are seen by its members only
    # (tickets.visibility). Set by routing on creation (category, mailbox), changed by agents.
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        # Indexed with the status (ticket_team_status_idx), which serves a lookup by team too.
        db_index=False,
        verbose_name=_("team"),
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.API)
    # The customer's language (tickets.languages): every email to them about this ticket is
    # written in it. Empty on tickets from before it was kept: the site's language.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", db_default="", choices=LANGUAGE_CHOICES
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    # Agents told of its changes in-app (and by email if Agent.follow_by_email).
    followers = models.ManyToManyField(
        "agents.Agent", blank=True, related_name="followed_tickets", verbose_name=_("followers")
    )
    assigned_agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("assigned agent"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The clocks of time rules (automation.timerules), kept by tickets.services in the saves
    # that change them: the last status change, the customer's last message (the description
    # is their first) and an agent's last public reply. Null on tickets written before they
    # were kept: automation.queries.CLOCKS falls back on the columns that stood for them
    # (docs/features.md, "Time rules"), so no migration rewrote a million rows.
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    customer_message_at = models.DateTimeField(_("customer's last message at"), null=True, blank=True)
    agent_message_at = models.DateTimeField(_("agent's last reply at"), null=True, blank=True)
    # SLA clock, kept by sla.services: the policy in force, due and at-risk times (moved
    # forward by paused time), the current pause, and business minutes actually taken.
    sla_policy = models.ForeignKey(
        "sla.SLAPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("SLA policy"),
    )
    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due at"), null=True, blank=True)
    first_response_at_risk_at = models.DateTimeField(_("first response at risk at"), null=True, blank=True)
    resolution_at_risk_at = models.DateTimeField(_("resolution at risk at"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused at"), null=True, blank=True)
    sla_paused_minutes = models.FloatField(_("SLA paused minutes"), default=0)
    first_response_minutes = models.FloatField(_("first response minutes"), null=True, blank=True)
    resolution_minutes = models.FloatField(_("resolution minutes"), null=True, blank=True)
    # Secret half of the customer's private link; rotating it revokes every link sent.
    access_key = models.CharField(_("access key"), max_length=64, default=new_access_key, editable=False)
    # A customer's mail answering a closed ticket opens a new ticket that points back at it.
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        db_index=False,
        verbose_name=_("follow up of"),
    )
    # A duplicate merged into another ticket (tickets.merging.ticket_merge): closed, its
    # conversation moved there; its page and emails point at the ticket that goes on.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        db_index=False,
        verbose_name=_("merged into"),
    )
    # Weighted subject (A), description (B) and public messages (C); PostgreSQL only, kept
    # current by tickets.queries.refresh_search_vector, GIN-indexed in migration 0002.
    search_vector = SearchVectorField(_("search vector"), null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            *length_between("subject", 1, SUBJECT_MAX, "ticket_subject"),
            *length_between("description", DESCRIPTION_MIN, DESCRIPTION_MAX, "ticket_description"),
            models.CheckConstraint(condition=Q(customer_email__regex=EMAIL_SHAPE), name="ticket_customer_email_shape"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="ticket_channel_valid"),
            # '' on tickets from before the language was kept (the site's).
            models.CheckConstraint(
                condition=Q(language__in=["", *dict(LANGUAGE_CHOICES)]), name="ticket_language_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                name="ticket_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.RESOLVED) | Q(resolved_at__isnull=False),
                name="ticket_resolved_has_resolved_at",
            ),
        ]
        indexes = [
            # Deleting a ticket clears its follow-ups' link (SET NULL) through this.
            models.Index(fields=["follow_up_of"], name="ticket_follow_up_idx", condition=Q(follow_up_of__isnull=False)),
            # Deleting a ticket clears the link of those merged into it (SET NULL) through this.
            models.Index(fields=["merged_into"], name="ticket_merged_into_idx", condition=Q(merged_into__isnull=False)),
            # The queue: active tickets by status, newest first.
            models.Index(fields=["status", "-created_at"], name="ticket_status_created_idx"),
            # Queue filters: status with priority (index-only counts), status ordered by last update.
            # The team rides along (INCLUDE) so that a count under a restricted team's rule
            # (team_id NOT IN hidden, tickets.visibility) stays index-only too.
            models.Index(
                fields=["status", "priority", "-created_at"], include=["team"], name="ticket_status_priority_idx"
            ),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated_idx"),
            # An agent's load (capacity checks), "my tickets" and "unassigned" (with their team, as
            # above: index-only counts for an agent with restricted teams hidden).
            models.Index(fields=["assigned_agent", "status"], include=["team"], name="ticket_agent_status_idx"),
            # A team's queue and "my teams" (and their saved views' counts): the team's active
            # tickets without ANDing a bitmap of every active ticket (100 ms at 1M tickets).
            models.Index(fields=["team", "status"], name="ticket_team_status_idx"),
            # A tag's views: each ticket of the tag is probed by id for the team (restricted
            # teams' rule) and the status; carried here, the probe reads no table row.
            models.Index(fields=["id"], include=["team", "status"], name="ticket_id_team_status_idx"),
            # The customer's other tickets and the "email me my links" lookup.
            models.Index(fields=["customer_email"], name="ticket_customer_email_idx"),
            # The API's case-insensitive ?customer_email= filter (iexact compares UPPER()).
            models.Index(Upper("customer_email"), name="ticket_customer_email_ci_idx"),
            # The SLA scan's four "overdue / at risk now" conditions (sla.scan): only tickets
            # whose clock runs are in these indexes, so their size follows the open queue, and
            # they carry what the scan reads (INCLUDE), so PostgreSQL answers from the index
            # alone (an index-only scan) instead of visiting every overdue ticket's row. The
            # assignee is carried for the alerts: whom to notify is known without the row.
            models.Index(
                fields=["first_response_due_at"],
                include=["id", "sla_policy", "assigned_agent"],
                name="ticket_fr_due_running_idx",
                condition=Q(status__in=["new", "open"], first_responded_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_due_at"],
                include=["id", "sla_policy", "assigned_agent"],
                name="ticket_res_due_running_idx",
                condition=Q(status__in=["new", "open"]),
            ),
            models.Index(
                fields=["first_response_at_risk_at"],
                include=["id", "sla_policy", "assigned_agent", "first_response_due_at"],
                name="ticket_fr_risk_running_idx",
                condition=Q(status__in=["new", "open"], first_responded_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_at_risk_at"],
                include=["id", "sla_policy", "assigned_agent", "resolution_due_at"],
                name="ticket_res_risk_running_idx",
                condition=Q(status__in=["new", "open"]),
            ),
            # The unfiltered list and filters without an index of their own, newest first.
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # The ticket list's cursor order (/api/support/tickets?updated_after=).
            models.Index(fields=["updated_at", "id"], name="ticket_updated_id_idx"),
            # SLA compliance of a period (sla.compliance): tickets created in it, with every
            # column the report and its filters read, so PostgreSQL answers from the index alone.
            models.Index(
                fields=["created_at"],
                include=[
                    "sla_policy",
                    "priority",
                    "first_responded_at",
                    "first_response_due_at",
                    "resolved_at",
                    "resolution_due_at",
                    "sla_paused_at",
                    "first_response_minutes",
                    "resolution_minutes",
                    "category",
                    "assigned_agent",
                ],
                name="ticket_created_sla_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def reading_language(self) -> str:
        """The language the customer is written to in: the ticket's, else the site's."""
        return self.language or settings.LANGUAGE_CODE

    def customer_status(self) -> str:
        """The status as the customer reads it (CUSTOMER_STATUS_WORDS), in the active language."""
        return str(CUSTOMER_STATUS_WORDS.get(self.status, self.status))

    def status_word(self) -> str:
        """The status in a sentence (STATUS_WORDS), in the active language."""
        return str(STATUS_WORDS.get(self.status, self.status))

    # A page's tags and own attachments are read into plain lists for all its tickets at once
    # (tickets.queries.read_lists): no related manager and queryset per row. These read them,
    # or the database when the ticket was loaded some other way.
    def tag_names(self) -> list[str]:
        tags = self.__dict__.get("tag_list")
        if tags is None:
            return list(self.tags.order_by("name").values_list("name", flat=True))
        return [tag.name for tag in tags]

    def conversation(self) -> list[Message]:
        """The messages read with the ticket (selectors.get_ticket_for_user(conversation=True),
        its visibility rule applied); otherwise every message, internal notes included:
        callers choose the rule."""
        messages = self.__dict__.get("message_list")
        if messages is None:
            return list(self.messages.all())
        return messages

    def own_attachments(self) -> list[Attachment]:
        """Attachments of the ticket itself (its description), not of its messages."""
        attachments = self.__dict__.get("own_attachment_list")
        if attachments is None:
            return list(self.attachments.filter(message__isnull=True))
        return attachments


class AuthorType(models.TextChoices):
    CUSTOMER = "customer", pgettext_lazy("message author", "Customer")
    AGENT = "agent", pgettext_lazy("message author", "Agent")
    SYSTEM = "system", pgettext_lazy("message author", "System")


class Source(models.TextChoices):
    """Where a message came from."""

    PORTAL = "portal", pgettext_lazy("message source", "Portal")
    EMAIL = "email", pgettext_lazy("message source", "Email")
    API = "api", pgettext_lazy("message source", "Api")
    AGENT = "agent", pgettext_lazy("message source", "Agent")
    SYSTEM = "system", pgettext_lazy("message source", "System")


class Message(models.Model):
    AuthorType = AuthorType
    Source = Source

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"))
    author_type = models.CharField(_("author type"), max_length=10, choices=AuthorType.choices)
    author_agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("author agent"),
    )
    author_name = models.CharField(_("author name"), max_length=255, blank=True)
    # A customer-side message written by someone copied on the ticket (TicketCC), not by its
    # customer: their address, kept when the CC is removed. Empty for everyone else.
    author_email = models.EmailField(_("author email"), max_length=254, blank=True, default="", db_default="")
    body = models.TextField(_("body"), validators=[MinLengthValidator(BODY_MIN), MaxLengthValidator(BODY_MAX)])
    internal = models.BooleanField(
        _("internal"), default=False, help_text=_("An internal note, never shown to the customer")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the message last changed (a rating, a merge or split moving it, an erasure), for
    # the API's incremental sync (core.api.SyncPagination). The database's default is for the
    # rows that were there when the column came (tickets 0032: the migration's time, added
    # without rewriting the table) and for rows written outside the ORM.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True, validators=[MaxLengthValidator(2000)])
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    # An email's envelope as its headers said (source email); the original is kept by mail.
    email_from = models.CharField(_("email from"), max_length=320, blank=True)
    email_to = models.TextField(_("email to"), blank=True)
    email_cc = models.TextField(_("email cc"), blank=True)
    email_date = models.DateTimeField(_("email date"), null=True, blank=True)
    # The sanitized HTML of an email, for display beside the plain text in `body`.
    body_html = models.TextField(_("body html"), blank=True)
    # The ticket this message was written on before that ticket was merged into this one
    # (tickets.merging): the page says "from #S". Empty for the ticket's own messages.
    merged_from = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("merged from"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            *length_between("body", BODY_MIN, BODY_MAX, "message_body"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="message_source_valid"),
            models.CheckConstraint(condition=Q(author_type__in=AuthorType.values), name="message_author_type_valid"),
            models.CheckConstraint(
                condition=Q(internal=False) | ~Q(author_type=AuthorType.CUSTOMER),
                name="message_customer_never_internal",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(
                    rating__gte=RATING_MIN,
                    rating__lte=RATING_MAX,
                    author_type=AuthorType.AGENT,
                    internal=False,
                ),
                name="message_rating_1_5_on_public_agent_reply",
            ),
        ]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created_idx"),
            # The messages feed's cursor order (/api/support/messages?updated_after=).
            models.Index(fields=["updated_at", "id"], name="message_updated_idx"),
            # Deleting a ticket clears the mark of messages merged from it (SET NULL) through this.
            models.Index(
                fields=["merged_from"], name="message_merged_from_idx", condition=Q(merged_from__isnull=False)
            ),
            # Reply-quality figures of a period (feedback.summary): only rated replies are in it.
            models.Index(
                fields=["rated_at"],
                include=["author_agent", "rating"],
                name="message_rated_idx",
                condition=Q(rating__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        kind = "note" if self.internal else "reply"
        return f"{kind} on #{self.ticket_id} by {self.author_type}"

    def attachment_files(self) -> list[Attachment]:
        """The attachments read with the ticket's conversation, or from the database."""
        attachments = self.__dict__.get("attachment_list")
        if attachments is None:
            return list(self.attachments.all())
        return attachments


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random folder: names never collide and cannot be guessed from the ticket number.
    return f"attachments/{instance.ticket_id}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    """An uploaded file, on a message or (message empty) on the ticket's first description."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=255)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="attachment_name_not_empty")]

    def __str__(self) -> str:
        return self.name


MESSAGE_ID_MAX = 250


class ThreadMessageId(models.Model):
    """A Message-ID of a ticket's email thread: ours (sent) and the customer's (received).

    Outgoing mail chains them in In-Reply-To and References; an incoming mail naming one of
    them belongs to that ticket (mail.threading). One id is one row: the unique index is the
    lookup.
    """

    # The Message-ID without its angle brackets (tickets.threading.normalize_message_id).
    email_id = models.CharField(_("email id"), max_length=MESSAGE_ID_MAX, unique=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="thread_ids", db_index=False, verbose_name=_("ticket")
    )
    message = models.ForeignKey(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name=_("message"),
    )
    outgoing = models.BooleanField(_("outgoing"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("thread message id")
        verbose_name_plural = _("thread message ids")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="thread_id_ticket_idx"),
            # Deleting a message clears its rows' link (SET NULL) through this.
            models.Index(fields=["message"], name="thread_id_message_idx", condition=Q(message__isnull=False)),
        ]
        constraints = [models.CheckConstraint(condition=~Q(email_id=""), name="thread_id_not_empty")]

    def __str__(self) -> str:
        return self.email_id


class EventKind(models.TextChoices):
    # Translators: the kinds of change a ticket's history lists (agents read them).
    CREATED = "created", pgettext_lazy("ticket history", "Created")
    STATUS = "status", pgettext_lazy("ticket history", "Status")
    PRIORITY = "priority", pgettext_lazy("ticket history", "Priority")
    CATEGORY = "category", pgettext_lazy("ticket history", "Category")
    ASSIGNEE = "assignee", pgettext_lazy("ticket history", "Assignee")
    TAGS = "tags", pgettext_lazy("ticket history", "Tags")
    SUBJECT = "subject", pgettext_lazy("ticket history", "Subject")
    REPLY = "reply", pgettext_lazy("ticket history", "Reply")
    NOTE = "note", pgettext_lazy("ticket history", "Note")
    CUSTOMER_REPLY = "customer_reply", pgettext_lazy("ticket history", "Customer Reply")
    FIRST_RESPONSE = "first_response", pgettext_lazy("ticket history", "First Response")
    RATING = "rating", pgettext_lazy("ticket history", "Rating")
    DUE_TIMES = "due_times", pgettext_lazy("ticket history", "Due Times")
    LINK_ROTATED = "link_rotated", pgettext_lazy("ticket history", "Private link replaced")
    TEAM = "team", pgettext_lazy("ticket history", "Team")
    CUSTOMER = "customer", pgettext_lazy("ticket history", "Customer")
    CC = "cc", pgettext_lazy("ticket history", "CC")
    # A trigger, time rule or macro acted on the ticket (automation); its changes follow.
    AUTOMATION = "automation", pgettext_lazy("ticket history", "Automation")
    # tickets.merging and tickets.related: "into 12" / "from 11"; "added 12" / "removed 12";
    # "to 13" / "from 12".
    MERGE = "merge", pgettext_lazy("ticket history", "Merge")
    LINK = "link", pgettext_lazy("ticket history", "Linked tickets")
    SPLIT = "split", pgettext_lazy("ticket history", "Split")


class TicketEvent(models.Model):
    """One line of a ticket's history, written in the same transaction as the change."""

    Kind = EventKind

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor_type = models.CharField(_("actor type"), max_length=12)  # customer, agent, integration, system, trigger, rule
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor user"),
    )
    actor_name = models.CharField(_("actor name"), max_length=255, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created_idx")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind}: {self.old_value} → {self.new_value}"


class TicketCC(models.Model):
    """An address copied on a ticket: it receives the public replies and may answer through a
    private link of its own (tickets.links), revoked by removing the address."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ccs", verbose_name=_("ticket"))
    email = models.EmailField(_("email"), max_length=254, validators=[validate_email_shape])
    access_key = models.CharField(_("access key"), max_length=64, default=new_access_key, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("CC")
        verbose_name_plural = _("CCs")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "email"], name="ticket_cc_unique"),
            models.CheckConstraint(condition=Q(email__regex=EMAIL_SHAPE), name="ticket_cc_email_shape"),
            models.CheckConstraint(condition=Q(email=models.functions.Lower("email")), name="ticket_cc_email_lower"),
        ]

    def __str__(self) -> str:
        return self.email


# A saved view's choices, as the queue URL spells them (tickets.selectors.QUEUE_VIEWS and
# QUEUE_SORTS, plus "priority"; a test keeps them in step).
SAVED_VIEW_QUEUES = ("mine", "teams", "unassigned", "open", "sla", "all")
SAVED_VIEW_SORTS = ("newest", "oldest", "updated", "priority", "due")
# The columns the queue table knows, in the order it shows them; the first nine are the
# table's columns when no saved view chooses others. The subject is the link to the ticket,
# so every choice has it.
QUEUE_COLUMNS = (
    "number",
    "subject",
    "customer",
    "status",
    "priority",
    "assignee",
    "team",
    "age",
    "sla",
    "category",
    "channel",
    "updated",
)
DEFAULT_QUEUE_COLUMNS = QUEUE_COLUMNS[:9]
SAVED_VIEW_NAME_MAX = 60
SAVED_VIEW_POSITION_MAX = 999


def default_queue_columns() -> list[str]:
    return list(DEFAULT_QUEUE_COLUMNS)


class SavedView(models.Model):
    """A queue an agent named: one of the queue's views, its filters and sort as the queue
    URL spells them, and the table's columns. Personal (its owner's only) or shared (every
    agent sees it; supervisors and admins make and change those: tickets.saved_views)."""

    name = models.CharField(_("name"), max_length=SAVED_VIEW_NAME_MAX)
    # A personal view's owner; none for a shared one, which outlives whoever made it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    shared = models.BooleanField(_("shared"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    queue = models.CharField(_("queue"), max_length=10, default="open")
    status = models.CharField(_("status"), max_length=10, blank=True, default="")
    priority = models.CharField(_("priority"), max_length=10, blank=True, default="")
    category = models.CharField(_("category"), max_length=50, blank=True, default="")  # its slug
    assignee = models.CharField(_("assignee"), max_length=9, blank=True, default="")  # an agent's id
    team = models.CharField(_("team"), max_length=9, blank=True, default="")  # a team's id, or "none"
    tag = models.CharField(_("tag"), max_length=50, blank=True, default="")
    search = models.CharField(_("search"), max_length=200, blank=True, default="")
    sort = models.CharField(_("sort"), max_length=10, blank=True, default="")
    columns = ArrayField(models.CharField(max_length=10), verbose_name=_("columns"), default=default_queue_columns)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        # Shared views first, then each list in the order its people chose.
        ordering = ["-shared", "position", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            *length_between("name", 1, SAVED_VIEW_NAME_MAX, "saved_view_name"),
            models.CheckConstraint(condition=Q(name=Trim("name")), name="saved_view_name_trimmed"),
            # Personal: an owner; shared: nobody's.
            models.CheckConstraint(
                condition=Q(shared=True, owner__isnull=True) | Q(shared=False, owner__isnull=False),
                name="saved_view_owner_unless_shared",
            ),
            # Names tell views apart in one list: unique per owner, and among shared ones.
            models.UniqueConstraint(
                Lower("name"), "owner", condition=Q(shared=False), name="saved_view_personal_name_unique"
            ),
            models.UniqueConstraint(Lower("name"), condition=Q(shared=True), name="saved_view_shared_name_unique"),
            models.CheckConstraint(condition=Q(queue__in=SAVED_VIEW_QUEUES), name="saved_view_queue_valid"),
            models.CheckConstraint(condition=Q(status__in=["", *Status.values]), name="saved_view_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=["", *Priority.values]), name="saved_view_priority_valid"),
            models.CheckConstraint(condition=Q(sort__in=["", *SAVED_VIEW_SORTS]), name="saved_view_sort_valid"),
            models.CheckConstraint(condition=Q(assignee__regex=r"^[0-9]{0,9}$"), name="saved_view_assignee_id"),
            models.CheckConstraint(condition=Q(team__regex=r"^([0-9]{0,9}|none)$"), name="saved_view_team_id"),
            models.CheckConstraint(
                condition=Q(columns__contained_by=list(QUEUE_COLUMNS), columns__contains=["subject"]),
                name="saved_view_columns_known",
            ),
            models.CheckConstraint(condition=Q(position__lte=SAVED_VIEW_POSITION_MAX), name="saved_view_position_max"),
        ]

    def __str__(self) -> str:
        return self.name

    def query(self) -> dict[str, str]:
        """The queue URL's parameters that open this view (empty filters left out)."""
        values = {
            "view": self.queue,
            "status": self.status,
            "priority": self.priority,
            "category": self.category,
            "assignee": self.assignee,
            "team": self.team,
            "tag": self.tag,
            "q": self.search,
            "sort": self.sort,
        }
        return {key: value for key, value in values.items() if value}


class TicketLink(models.Model):
    """Two related tickets (tickets.related): one row per pair, stored lower id first, so
    that the pair is unique whichever side it was added from and a ticket never links to
    itself. Both tickets' pages list it."""

    low = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    high = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("related ticket"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            # The pair's index also serves "the links of ticket X" from the low side.
            models.UniqueConstraint(fields=["low", "high"], name="ticket_link_unique_pair"),
            models.CheckConstraint(condition=Q(low__lt=models.F("high")), name="ticket_link_low_first"),
        ]
        indexes = [
            # "The links of ticket X" from the high side.
            models.Index(fields=["high"], name="ticket_link_high_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.low_id} - #{self.high_id}"


class BulkJob(models.Model):
    """Many tickets changed at once by an agent from the queue (workspace.bulk): what to do
    (`changes`, tickets.bulk.BulkChanges as JSON, and perhaps a macro), to which tickets,
    and how far it got. Each ticket's result is a BulkResult written in the transaction of
    that ticket's change, so a run picked up again (a worker lost) skips the tickets done."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    changes = models.JSONField(_("changes"), default=dict)
    ticket_ids = ArrayField(models.BigIntegerField(), verbose_name=_("tickets"))
    total = models.PositiveIntegerField(_("total"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    # The agent's language when they asked: refusals are worded in it, even by a worker.
    language = models.CharField(_("language"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")

    def __str__(self) -> str:
        return f"bulk change {self.pk} ({self.total} tickets, {self.state})"


class BulkResult(models.Model):
    """What a bulk change did to one ticket: changed, unchanged, or refused (and why, worded
    in the agent's language). The ticket is kept by its id: a ticket erased since (privacy)
    leaves its line."""

    class Outcome(models.TextChoices):
        CHANGED = "changed", _("changed")
        UNCHANGED = "unchanged", _("unchanged")
        REFUSED = "refused", _("refused")

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="results", verbose_name=_("bulk change"))
    ticket_id = models.BigIntegerField(_("ticket"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("bulk change result")
        verbose_name_plural = _("bulk change results")
        constraints = [
            # One result per ticket and job: a second run of the job (or a second worker) that
            # reaches a ticket already done fails here, and its change rolls back with it.
            models.UniqueConstraint(fields=["job", "ticket_id"], name="bulk_result_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.outcome}"
