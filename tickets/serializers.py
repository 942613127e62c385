from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import LANGUAGE_CHOICES, Team, validate_email_shape
from core.api import MAX_ID, DateOrDateTimeField, SlugRelatedField
from tickets.attachments import validate_uploads
from tickets.ccs import CC_MAX, CCRefused, clean_cc_list
from tickets.models import (
    BODY_MAX,
    BODY_MIN,
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    RATING_MAX,
    RATING_MIN,
    SUBJECT_MAX,
    Attachment,
    Category,
    Channel,
    Message,
    Priority,
    Status,
    Ticket,
    TicketCC,
    TicketEvent,
)
from tickets.state_machine import allowed_targets

TAG_MAX_LENGTH = 50


def _datetime(value, zone) -> str | None:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the active time zone, UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# The read serializers below write their answer by hand (`to_representation`): DRF's generic
# path builds every field of a ModelSerializer per request and walks 23 fields of 25 tickets
# one by one, about 3 ms of a list's 12 (bench/, docs/performance.md). The declared fields
# still describe the answer (OpenAPI); tickets/tests/test_representation.py checks that the
# hand-written answer is exactly what the generic path writes.


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "url", "created_at"]

    def get_url(self, attachment: Attachment) -> str:
        return _attachment_url(attachment)

    def to_representation(self, attachment: Attachment) -> dict:
        return _attachment(attachment, timezone.get_current_timezone())


def _attachment_url(attachment: Attachment) -> str:
    return reverse("api:ticket-attachment", args=[attachment.ticket_id, attachment.pk])


def _attachment(attachment: Attachment, zone) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "url": _attachment_url(attachment),
        "created_at": _datetime(attachment.created_at, zone),
    }


class TagListField(serializers.ListField):
    child = serializers.SlugField(max_length=TAG_MAX_LENGTH, allow_unicode=True)
    max_length = 20


def validate_files(files: list) -> list:
    try:
        validate_uploads(files)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from error
    return files


def refuse_files_in_json(serializer: serializers.Serializer, upload_path: str) -> None:
    """A JSON body naming `attachments` is answered with the operation that takes files, not
    silently stripped of them."""
    if "attachments" in serializer.initial_data and "attachments" not in serializer.fields:
        raise serializers.ValidationError(
            {
                "attachments": [
                    # Translators: "path" is an API operation's address (/api/support/tickets/with-attachments).
                    _("Files are sent as multipart/form-data to %(path)s; this operation reads JSON without files.")
                    % {"path": upload_path}
                ]
            }
        )


class TicketSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SerializerMethodField()
    assigned_agent_name = serializers.CharField(
        source="assigned_agent.name", read_only=True, default=None, allow_null=True
    )
    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)
    allowed_statuses = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True, source="own_attachments")
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        source="reading_language",
        read_only=True,
        help_text="The customer's language: every email to them about this ticket is written in it.",
    )
    customer = serializers.IntegerField(
        source="customer_id",
        read_only=True,
        allow_null=True,
        help_text="The customer's profile (/api/support/customers/{id}), made on their first contact.",
    )
    organization = serializers.IntegerField(
        source="customer.organization_id",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The organisation of the customer's profile (/api/support/organizations/{id}).",
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "description",
            "customer_email",
            "customer_name",
            "external_customer_id",
            "customer",
            "organization",
            "category",
            "team",
            "team_name",
            "priority",
            "channel",
            "language",
            "tags",
            "assigned_agent",
            "assigned_agent_name",
            "status",
            "allowed_statuses",
            "created_at",
            "updated_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "first_response_due_at",
            "resolution_due_at",
            "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, ticket: Ticket) -> list[str]:
        return ticket.tag_names()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Status.choices)))
    def get_allowed_statuses(self, ticket: Ticket) -> list[str]:
        return list(allowed_targets(ticket.status))

    def to_representation(self, ticket: Ticket) -> dict:
        zone = timezone.get_current_timezone()
        category, agent, team = ticket.category, ticket.assigned_agent, ticket.team
        # Read with the ticket (selectors: the list's select_related, the detail's statement).
        customer = ticket.customer if ticket.customer_id is not None else None
        return {
            "id": ticket.pk,
            "number": ticket.number,
            "subject": ticket.subject,
            "description": ticket.description,
            "customer_email": ticket.customer_email,
            "customer_name": ticket.customer_name,
            "external_customer_id": ticket.external_customer_id,
            "customer": ticket.customer_id,
            "organization": customer.organization_id if customer is not None else None,
            "category": category.slug if category is not None else None,
            "team": ticket.team_id,
            "team_name": team.name if team is not None else None,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "language": ticket.reading_language,
            "tags": ticket.tag_names(),
            "assigned_agent": ticket.assigned_agent_id,
            "assigned_agent_name": agent.name if agent is not None else None,
            "status": ticket.status,
            "allowed_statuses": self.get_allowed_statuses(ticket),
            "created_at": _datetime(ticket.created_at, zone),
            "updated_at": _datetime(ticket.updated_at, zone),
            "first_responded_at": _datetime(ticket.first_responded_at, zone),
            "resolved_at": _datetime(ticket.resolved_at, zone),
            "closed_at": _datetime(ticket.closed_at, zone),
            "first_response_due_at": _datetime(ticket.first_response_due_at, zone),
            "resolution_due_at": _datetime(ticket.resolution_due_at, zone),
            "attachments": [_attachment(attachment, zone) for attachment in ticket.own_attachments()],
        }


def _addresses(text: str) -> list[str]:
    """Addresses stored comma-separated (Message.email_to / email_cc), as a list."""
    return [address.strip() for address in text.split(",") if address.strip()]


class EmailOriginSerializer(serializers.Serializer):
    """Where an email message came from, as its headers said (the original is kept by mail)."""

    to = serializers.SerializerMethodField()
    cc = serializers.SerializerMethodField()
    date = serializers.DateTimeField(source="email_date", allow_null=True, help_text="The email's Date header")

    def get_fields(self) -> dict:
        fields = super().get_fields()
        # "from" is a Python keyword: the field is added here, first, as the header comes first.
        sender = serializers.EmailField(source="email_from", help_text="The sender's address (From)")
        return {"from": sender, **fields}

    @extend_schema_field(serializers.ListField(child=serializers.EmailField()))
    def get_to(self, message: Message) -> list[str]:
        return _addresses(message.email_to)

    @extend_schema_field(serializers.ListField(child=serializers.EmailField()))
    def get_cc(self, message: Message) -> list[str]:
        return _addresses(message.email_cc)


def _email_origin(message: Message, zone) -> dict | None:
    if message.source != Message.Source.EMAIL:
        return None
    return {
        "from": message.email_from,
        "to": _addresses(message.email_to),
        "cc": _addresses(message.email_cc),
        "date": _datetime(message.email_date, zone),
    }


class MessageSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    # Not an EmailField in the schema: empty for everyone but a CC.
    author_email = serializers.CharField(
        read_only=True, help_text="The address of the CC who wrote this customer-side message; empty otherwise"
    )
    email = serializers.SerializerMethodField(help_text="The email's origin when source is email, else null")

    class Meta:
        model = Message
        fields = [
            "id",
            "author_type",
            "author_name",
            "author_email",
            "author_agent",
            "body",
            "internal",
            "created_at",
            "updated_at",
            "rating",
            "rating_comment",
            "rated_at",
            "attachments",
            "source",
            "email",
        ]
        read_only_fields = fields

    @extend_schema_field(EmailOriginSerializer(allow_null=True))
    def get_email(self, message: Message) -> dict | None:
        if message.source != Message.Source.EMAIL:
            return None
        return EmailOriginSerializer(message).data

    def to_representation(self, message: Message) -> dict:
        return _message(message, timezone.get_current_timezone())


def _message(message: Message, zone) -> dict:
    return {
        "id": message.pk,
        "author_type": message.author_type,
        "author_name": message.author_name,
        "author_email": message.author_email,
        "author_agent": message.author_agent_id,
        "body": message.body,
        "internal": message.internal,
        "created_at": _datetime(message.created_at, zone),
        "updated_at": _datetime(message.updated_at, zone),
        "rating": message.rating,
        "rating_comment": message.rating_comment,
        "rated_at": _datetime(message.rated_at, zone),
        "attachments": [_attachment(attachment, zone) for attachment in message.attachment_files()],
        "source": message.source,
        "email": _email_origin(message, zone),
    }


class MessageFeedSerializer(MessageSerializer):
    """A message of the cross-ticket feed (/api/support/messages): with its ticket's id."""

    ticket = serializers.IntegerField(source="ticket_id", read_only=True, help_text="The ticket's id")

    class Meta(MessageSerializer.Meta):
        fields = ["ticket", *MessageSerializer.Meta.fields]
        read_only_fields = fields

    def to_representation(self, message: Message) -> dict:
        return {"ticket": message.ticket_id, **super().to_representation(message)}


class TicketDetailSerializer(TicketSerializer):
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    def to_representation(self, ticket: Ticket) -> dict:
        return {
            **super().to_representation(ticket),
            "messages": [_message(message, timezone.get_current_timezone()) for message in ticket.conversation()],
        }


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=SUBJECT_MAX)
    description = serializers.CharField(min_length=DESCRIPTION_MIN, max_length=DESCRIPTION_MAX)
    customer_email = serializers.EmailField(max_length=254, validators=[validate_email_shape])
    customer_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    external_customer_id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    category = SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    channel = serializers.ChoiceField(
        choices=[Channel.API, Channel.AGENT, Channel.EMAIL, Channel.PHONE, Channel.WALK_IN],
        default=Channel.API,
        required=False,
    )
    tags = TagListField(required=False, default=list)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team's id (/api/support/teams). Without it: the category's team; null: no team.",
    )
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        help_text="The customer's language: emails about the ticket are written in it. Without it, the "
        "language of the subject and description (Russian when they are mostly Cyrillic), else the site's.",
    )
    cc = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        default=list,
        max_length=CC_MAX,
        help_text=f"Addresses to copy on the ticket (at most {CC_MAX}): each receives the public replies and "
        "a private link of its own.",
    )

    def validate(self, attrs: dict) -> dict:
        refuse_files_in_json(self, "POST /api/support/tickets/with-attachments")
        try:
            attrs["cc"] = clean_cc_list(attrs.get("cc", []), customer_email=attrs["customer_email"])
        except CCRefused as refused:
            raise serializers.ValidationError(refused.payload()) from None
        return attrs


def attachments_field() -> serializers.ListField:
    """The files of an upload operation: one at least (the JSON operation takes none), each
    checked by validate_uploads (count, size, type)."""
    return serializers.ListField(
        child=serializers.FileField(),
        allow_empty=False,
        min_length=1,
        max_length=50,
        help_text="The files, as parts of this name (ATTACHMENT_MAX_FILES at most, each within ATTACHMENT_MAX_BYTES)",
    )


class TicketUploadSerializer(TicketCreateSerializer):
    """A new ticket with files: the fields of the JSON operation, as multipart form fields."""

    attachments = attachments_field()

    def validate_attachments(self, files: list) -> list:
        return validate_files(files)


class TicketUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=SUBJECT_MAX, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.all(),
        required=False,
        help_text="A category's slug; the ticket stays in its team (routing happens on creation only)",
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team's id, null for none. An assignee who is not one of the new team's members is unassigned.",
    )
    tags = TagListField(required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    external_customer_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    customer_email = serializers.EmailField(
        max_length=254,
        required=False,
        validators=[validate_email_shape],
        help_text="Move the ticket to the customer of this address: their profile, found by any of its "
        "addresses or made on this first contact. A history event records it; the SLA policy is picked "
        "again; a new address replaces the ticket's private link.",
    )
    customer_name = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="With customer_email: the name the ticket shows (left out or blank: the profile's).",
    )

    def validate(self, attrs: dict) -> dict:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {field: [_("This field cannot be changed here.")] for field in sorted(unknown)}
            )
        if "customer_name" in attrs and "customer_email" not in attrs:
            raise serializers.ValidationError(
                {"customer_name": [_("Give customer_email with it: the name is of the customer the ticket moves to.")]}
            )
        return attrs


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(min_length=BODY_MIN, max_length=BODY_MAX, trim_whitespace=False)
    internal = serializers.BooleanField(default=False)

    def validate_body(self, body: str) -> str:
        if not body.strip():
            raise serializers.ValidationError(_("This field may not be blank."))
        return body

    def validate(self, attrs: dict) -> dict:
        refuse_files_in_json(self, "POST /api/support/tickets/{id}/messages/with-attachments")
        return attrs


class MessageUploadSerializer(MessageCreateSerializer):
    """A reply or note with files: the fields of the JSON operation, as multipart form fields."""

    attachments = attachments_field()

    def validate_attachments(self, files: list) -> list:
        return validate_files(files)


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    agent = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    override = serializers.BooleanField(default=False)


class TicketEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor_type", "actor_name", "old_value", "new_value", "created_at"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "description": "A ticket category's slug, e.g. billing"})
class CategorySlugField(SlugRelatedField):
    """A ticket category named by its slug."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        return Category.objects.all()


# The reports (SLA compliance, CSAT summary) share this period and its filters; it lives
# with tickets because it names a ticket category.
class PeriodQuerySerializer(serializers.Serializer):
    """`start` and `end` of a report (default: the last 30 days), an `agent` and a `category`."""

    start = DateOrDateTimeField(required=False, help_text="From (default: 30 days before the end)")
    end = DateOrDateTimeField(required=False, help_text="Before (default: now)")
    agent = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    category = CategorySlugField(required=False)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("end", timezone.now())
        try:
            attrs.setdefault("start", attrs["end"] - timedelta(days=30))
        except OverflowError:
            raise serializers.ValidationError({"end": [_("This date is too early.")]}) from None
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": [_("The end must come after the start.")]})
        return attrs


class CCSerializer(serializers.ModelSerializer):
    """An address copied on a ticket."""

    class Meta:
        model = TicketCC
        fields = ["id", "email", "created_at"]
        read_only_fields = fields


class CCCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="The address to copy on the ticket")


class FollowSerializer(serializers.Serializer):
    """Whether the caller follows the ticket, and who does."""

    following = serializers.BooleanField()
    followers = serializers.ListField(child=serializers.DictField(), help_text='[{"id": agent id, "name": ...}]')
