"""The IMAP mailboxes through the API, `/api/support/mailboxes`: what Django admin's
"Email channel → Mailboxes" does, for the same people and with the same rules.

Who: whoever manages mailboxes in Django admin, i.e. an active staff user holding the model's
permission for what they do (view, add, change, delete). No group is granted mail's
permissions (agents/migrations: supervisors and admins groups), so today that is superusers
only: a mailbox names environment variables the worker reads and a host it sends them to,
which is as good as reading the worker's environment.

Rules: a body is checked by the admin's own form (mail.forms.MailboxForm: its checks, then
the model's validators, Mailbox.clean and the constraints), and its errors come back as a
400 naming the field. Secrets are never stored or shown: a mailbox holds the NAMES of the
variables that hold them.
"""

from __future__ import annotations

import copy

import django_filters
from django.db import IntegrityError
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings

from agents.models import Team
from core.api import BooleanFilter, ConditionalUpdates, ModelChoiceFilter, SlugRelatedField
from core.limits import JSONParser
from mail.forms import MailboxForm
from mail.health import needs_attention
from mail.imap import PollResult, poll_mailbox
from mail.models import Auth, Mailbox
from mail.oauth import clear_reauthorization
from mail.services import mailbox_save
from tickets.models import Category

# The admin's form fields: what a body may set.
WRITABLE = list(MailboxForm.Meta.fields)

# What the admin shows and never edits: how the polls and the OAuth2 sign-in went. Never the
# rotated refresh token (encrypted) nor the digest of the one it descends from.
STATE = [
    "state",
    "last_polled_at",
    "last_success_at",
    "last_imported",
    "last_error_at",
    "last_error",
    "oauth_needs_reauthorization",
    "oauth_error",
    "oauth_error_at",
    "oauth_token_url_used",
    "oauth_scope_used",
    "oauth_refresh_token_rotated_at",
    "created_at",
]

# A poll's outcome, in the admin's list words (MailboxAdmin.state).
WORKING, FAILING, NEEDS_REAUTHORIZATION, NOT_POLLED = "working", "failing", "needs_reauthorization", "not_polled"

# Django admin's permission codename for each of the viewset's actions (poll and retry sign-in
# are the admin's "change" actions).
PERMISSION = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "poll": "change",
    "retry_sign_in": "change",
    "destroy": "delete",
}


class ManagesMailboxes(BasePermission):
    """Django admin's rule for mailboxes: an active staff user with the model permission
    (AdminSite.has_permission, then ModelAdmin.has_*_permission; view is also granted by
    change)."""

    message = gettext_lazy("Only those who manage mailboxes in Django admin can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        codename = PERMISSION.get(view.action, "change")
        if codename == "view" and user.has_perm("mail.change_mailbox"):
            return True
        return user.has_perm(f"mail.{codename}_mailbox")


class MailboxSerializer(serializers.ModelSerializer):
    category = SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), help_text="The slug of the category of the tickets it opens"
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The id of the team of the tickets it opens (/api/support/teams); null: the category's team",
    )
    state = serializers.SerializerMethodField(
        help_text="How its polls go: working, failing (the last poll failed), needs_reauthorization (the provider "
        "refused the OAuth2 sign-in: not polled until an administrator saves it or retries the sign-in), not_polled"
    )
    oauth_token_url_used = serializers.CharField(
        source="oauth_effective_token_url",
        read_only=True,
        help_text="The token endpoint OAuth2 sign-in uses (oauth_token_url, or the provider's); empty for passwords",
    )
    oauth_scope_used = serializers.CharField(
        source="oauth_effective_scope", read_only=True, help_text="The scope tokens are asked for"
    )
    oauth_refresh_token_rotated_at = serializers.DateTimeField(
        source="oauth_rotated_at",
        read_only=True,
        allow_null=True,
        help_text="When the provider last rotated the refresh token (the newest is kept encrypted, never shown)",
    )

    class Meta:
        model = Mailbox
        fields = ["id", *WRITABLE, *STATE]
        read_only_fields = ["id", *STATE]

    def get_state(self, mailbox: Mailbox) -> str:
        if mailbox.needs_reauthorization:
            return NEEDS_REAUTHORIZATION
        if mailbox.failing:
            return FAILING
        return WORKING if mailbox.last_success_at else NOT_POLLED

    def to_internal_value(self, data):
        """A field it does not know is refused (400 naming it), never silently dropped: a
        client sending `password` must learn that secrets are not taken."""
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                message = _(
                    "Unknown field. Secrets are never sent here: set them in the worker's environment and give "
                    "the variable's name (password_env, oauth_client_secret_env, oauth_refresh_token_env)."
                )
                raise ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        """Django admin's checks, by its own form: the mailbox as it would be saved (for a
        PATCH, the fields given over the stored ones) goes through MailboxForm and the model's
        full_clean; what they cleaned (e.g. names stripped of spaces) is what is saved."""
        # A copy: the form writes the cleaned values onto its instance.
        instance = copy.copy(self.instance) if self.instance is not None else Mailbox()
        values = model_to_dict(instance, fields=WRITABLE)  # a new one's: the model's defaults
        for name, value in attrs.items():
            values[name] = value.pk if isinstance(value, Category | Team) else value
        if values.get("team") is None:
            values["team"] = ""
        form = MailboxForm(data=values, instance=instance)
        if not form.is_valid():
            raise ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name: [
                        message for error in errors for message in error.messages
                    ]
                    for name, errors in form.errors.as_data().items()
                }
            )
        return {name: getattr(form.instance, name) for name in WRITABLE}


class PollSerializer(serializers.Serializer):
    """One poll of a mailbox, as mail.imap.poll_mailbox reports it."""

    id = serializers.IntegerField(help_text="The mailbox's id")
    mailbox = serializers.CharField(help_text="The mailbox's name")
    ok = serializers.BooleanField(help_text="It signed in and read its folder")
    error = serializers.CharField(help_text="Why the sign-in or the poll failed; empty when ok")
    fetched = serializers.IntegerField(help_text="Emails taken from the server")
    imported = serializers.IntegerField(help_text="Of which new to the helpdesk")
    quarantined = serializers.IntegerField()
    refused = serializers.IntegerField()
    seconds = serializers.FloatField()


class MailboxFilter(django_filters.FilterSet):
    enabled = BooleanFilter()
    auth = django_filters.ChoiceFilter(choices=Auth.choices)
    category = django_filters.CharFilter(field_name="category__slug", help_text="A category's slug")
    team = ModelChoiceFilter(queryset=Team.objects.all(), help_text="A team's id")
    no_team = BooleanFilter(field_name="team", lookup_expr="isnull", help_text="true: mailboxes routed to no team")
    failing = BooleanFilter(
        method="filter_failing",
        help_text="true: those whose last poll failed or that need re-authorization (what /api/health warns about)",
    )

    class Meta:
        model = Mailbox
        fields = ["enabled", "auth", "category", "team", "no_team", "failing"]

    def filter_failing(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(needs_attention()) if value else queryset.exclude(needs_attention())


MAILBOX_TAG = ["mailboxes"]
WRITE_ERRORS = "400 names the field; the checks are Django admin's (MailboxForm, Mailbox.clean)"


@extend_schema_view(
    list=extend_schema(
        tags=MAILBOX_TAG,
        summary="List the IMAP mailboxes",
        description="Every mailbox with its configuration (variable names, never secrets) and how its polls go.",
    ),
    retrieve=extend_schema(tags=MAILBOX_TAG, summary="Read a mailbox"),
    create=extend_schema(
        tags=MAILBOX_TAG,
        summary="Add a mailbox",
        description="Polled by the worker from its next round. " + WRITE_ERRORS + ".",
        responses={201: MailboxSerializer},
    ),
    update=extend_schema(
        tags=MAILBOX_TAG,
        summary="Replace a mailbox's configuration",
        description="Saving clears a refused OAuth2 sign-in (tried again at the next poll). " + WRITE_ERRORS + ".",
    ),
    partial_update=extend_schema(
        tags=MAILBOX_TAG,
        summary="Change some of a mailbox's configuration",
        description="The fields given, over the stored ones, checked as a whole. Saving clears a refused OAuth2 "
        "sign-in. " + WRITE_ERRORS + ".",
    ),
    destroy=extend_schema(
        tags=MAILBOX_TAG,
        summary="Delete a mailbox",
        description="Its emails stay in the ledger (their mailbox becomes null) and keep a second arrival out.",
        responses={204: OpenApiResponse(description="Deleted")},
    ),
)
class MailboxViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """IMAP mailboxes (see the module's docstring)."""

    permission_classes = [ManagesMailboxes]
    parser_classes = [JSONParser]
    serializer_class = MailboxSerializer
    filterset_class = MailboxFilter
    ordering_fields = ["name", "created_at", "last_polled_at", "last_success_at", "last_error_at"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        return Mailbox.objects.select_related("category", "team").order_by("name", "id")

    def perform_create(self, serializer) -> None:
        serializer.instance = _saved(Mailbox(**serializer.validated_data))

    def perform_update(self, serializer) -> None:
        mailbox = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(mailbox, name, value)
        serializer.instance = _saved(mailbox)

    @extend_schema(
        tags=MAILBOX_TAG,
        summary="Poll a mailbox now",
        description="Django admin's “Poll now”: signs in and takes the new mail once, here and now, to see at "
        "once whether a configuration works (the worker polls every MAIL_POLL_SECONDS anyway). A failed sign-in "
        "or poll is an answer too: 200 with `ok` false and the `error`. 409 while the worker is polling it.",
        request=None,
        responses={200: PollSerializer, 409: OpenApiResponse(description="The worker is polling it right now")},
    )
    @action(detail=True, methods=["post"])
    def poll(self, request, pk=None):
        return _poll_answer(self.get_object())

    @extend_schema(
        tags=MAILBOX_TAG,
        summary="Retry a refused OAuth2 sign-in",
        description="Django admin's “Retry sign-in”: clears “needs re-authorization” (after a new refresh "
        "token or client secret was put in the worker's environment) and polls at once with a new token. "
        "Answers as a poll.",
        request=None,
        responses={200: PollSerializer, 409: OpenApiResponse(description="The worker is polling it right now")},
    )
    @action(detail=True, methods=["post"], url_path="retry-sign-in", url_name="retry-sign-in")
    def retry_sign_in(self, request, pk=None):
        mailbox = self.get_object()
        clear_reauthorization(mailbox)
        return _poll_answer(mailbox)


def _saved(mailbox: Mailbox) -> Mailbox:
    """mailbox_save, with a name taken meanwhile (the form checked it, a concurrent request
    may have won since) as a 400 naming it."""
    try:
        return mailbox_save(mailbox=mailbox)
    except IntegrityError:
        if Mailbox.objects.filter(name=mailbox.name).exclude(pk=mailbox.pk).exists():
            raise ValidationError({"name": mailbox.unique_error_message(Mailbox, ["name"]).messages}) from None
        raise


def _poll_answer(mailbox: Mailbox) -> Response:
    result: PollResult = poll_mailbox(mailbox)
    if result.skipped:
        detail = _("%(mailbox)s: being polled by the worker right now; try again in a moment.") % {"mailbox": mailbox}
        return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
    answer = {
        "id": mailbox.pk,
        "mailbox": mailbox.name,
        "ok": result.ok,
        "error": result.error,
        "fetched": result.fetched,
        "imported": result.imported,
        "quarantined": result.quarantined,
        "refused": result.refused,
        "seconds": round(result.seconds, 3),
    }
    return Response(PollSerializer(answer).data)
