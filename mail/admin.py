"""The email channel in Django admin: the mailboxes polled and how their last poll went, the
ledger of every email received (with its quarantine, re-ingestable), and addresses that bounce.

The ledger is read-only here: what an email became is the ingest's doing (mail.ingest), and
a row deleted would let the same email in a second time. Only a quarantined row may be
deleted (dismissed), one at a time from its page.
"""

from __future__ import annotations

import logging
import re

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import truncatechars
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from mail.ingest import reingest
from mail.models import BouncedAddress, InboundEmail, Mailbox, Outcome
from mail.views import original_response

logger = logging.getLogger(__name__)

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SHORT = 80  # characters of an error, a reason or a subject shown in a list
# An outcome in a list's narrow column (the filter and an email's page say it in full).
OUTCOME_SHORT = {
    Outcome.TICKET: "New ticket",
    Outcome.REPLY: "Reply",
    Outcome.NOTE: "Note (other sender)",
    Outcome.AUTOMATIC: "Automatic",
    Outcome.BOUNCE: "Bounce",
    Outcome.OWN: "Our own",
    Outcome.REFUSED: "Refused",
    Outcome.QUARANTINED: "Quarantined",
}

ROUTES = {"imap": "IMAP", "webhook": "a provider's webhook", "pipe": "the MTA pipe", "maildir": "the Maildir"}


def when(value) -> str:
    """A time in a list, short: "5 Dec 2026, 10:52" in the current time zone."""
    return date_format(localtime(value), "j M Y, H:i") if value else "-"


def _formfield(field: models.Field, **kwargs) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class MailboxForm(forms.ModelForm):
    class Meta:
        model = Mailbox
        formfield_callback = _formfield
        fields = [
            "name",
            "enabled",
            "host",
            "port",
            "security",
            "auth",
            "username",
            "password_env",
            "oauth_provider",
            "oauth_tenant",
            "oauth_client_id",
            "oauth_client_secret_env",
            "oauth_refresh_token_env",
            "oauth_scope",
            "oauth_token_url",
            "folder",
            "category",
            "priority",
            "after_import",
            "move_to",
        ]
        # The variables' names and the token URL are explained by the model's help texts.
        help_texts = {
            "auth": (
                "Microsoft 365 and Google Workspace accept OAuth2 only. A password (or a Gmail app password) "
                "works with other servers."
            ),
            "username": "The mailbox's address, e.g. support@contoso.com (with OAuth2 too: it is the user signing in).",
            "oauth_provider": "Other: any OAuth2 provider whose token URL you give below.",
            "oauth_tenant": (
                "Microsoft only: the Directory (tenant) ID shown on the app registration's overview, or the "
                "organisation's domain (contoso.onmicrosoft.com). Not 'common'."
            ),
            "oauth_client_id": (
                "Microsoft: the Application (client) ID of the app registered in Entra ID. Google: the OAuth client "
                "ID from Google Cloud console (APIs & Services, Credentials)."
            ),
            "oauth_scope": (
                "Empty: the provider's default. Microsoft: https://outlook.office365.com/.default (client "
                "credentials) or https://outlook.office.com/IMAP.AccessAsUser.All offline_access (refresh token). "
                "Google: https://mail.google.com/."
            ),
            "move_to": "Folder for imported mail when moving (created if missing).",
            "folder": "The folder polled, usually INBOX.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without it (made before OAuth2 existed) means a password, the default.
        self.fields["auth"].required = False

    def clean_auth(self) -> str:
        return self.cleaned_data.get("auth") or Mailbox.Auth.PASSWORD

    def clean_password_env(self) -> str:
        name = self.cleaned_data["password_env"].strip()
        if name and not ENV_NAME.fullmatch(name):
            raise forms.ValidationError(
                "Give the name of an environment variable (letters, digits and _, not starting with a digit), "
                "not the password."
            )
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("after_import") == Mailbox.AfterImport.MOVE and not (cleaned.get("move_to") or "").strip():
            self.add_error("move_to", "Name the folder to move imported mail to.")
        return cleaned


# What a poll records on the mailbox: shown, never edited.
LAST_POLL_FIELDS = [
    "last_polled_at",
    "last_success_at",
    "last_imported",
    "last_error_at",
    "last_error",
    "uid_validity",
    "last_uid",
    "created_at",
]


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    radio_fields = {"auth": admin.HORIZONTAL}
    # The state first (a mailbox or two per site: no filters, the whole width for the list).
    list_display = ["name", "enabled", "state", "short_error", "last_poll", "last_success", "server"]
    search_fields = ["name", "host", "username"]
    list_select_related = ["category"]
    readonly_fields = [*LAST_POLL_FIELDS, "oauth_state"]
    fieldsets = [
        (None, {"fields": ["name", "enabled"]}),
        ("Server", {"fields": ["host", "port", "security"]}),
        ("Sign-in", {"fields": ["auth", "username", "password_env"]}),
        (
            "Sign-in with OAuth2",
            {
                "description": (
                    "Only for OAuth2 sign-in. Secrets stay in the worker's environment: name the variables here."
                ),
                "fields": [
                    "oauth_state",
                    "oauth_provider",
                    "oauth_tenant",
                    "oauth_client_id",
                    "oauth_client_secret_env",
                    "oauth_refresh_token_env",
                    "oauth_scope",
                    "oauth_token_url",
                ],
            },
        ),
        ("Folders", {"fields": ["folder", "after_import", "move_to"]}),
        ("New tickets", {"fields": ["category", "priority"]}),
        ("Last poll", {"fields": LAST_POLL_FIELDS}),
    ]
    actions = ["poll_now", "retry_sign_in"]

    class Media:
        css = {"all": ["css/mail-admin.css"]}

    def get_fieldsets(self, request: HttpRequest, obj: Mailbox | None = None) -> list:
        """The OAuth2 fields folded away on a mailbox that signs in with a password."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.uses_oauth2:
            return fieldsets
        return [
            (name, {**options, "classes": ["collapse"]}) if name == "Sign-in with OAuth2" else (name, options)
            for name, options in fieldsets
        ]

    def save_model(self, request: HttpRequest, obj: Mailbox, form: forms.ModelForm, change: bool) -> None:
        """Saved by an administrator: an OAuth2 sign-in refused before is tried again at the next
        poll (with a new token: the configuration may have changed)."""
        from mail.oauth import forget_token

        obj.oauth_needs_reauthorization, obj.oauth_error, obj.oauth_error_at = False, "", None
        super().save_model(request, obj, form, change)
        forget_token(obj)

    @admin.display(description="Sign-in state")
    def oauth_state(self, mailbox: Mailbox) -> str:
        if not mailbox.pk:
            return "Not signed in yet."
        if not mailbox.uses_oauth2:
            return "Not used: this mailbox signs in with a password."
        if mailbox.needs_reauthorization:
            return format_html(
                '<strong class="mail-failing">Needs re-authorization</strong> since {}: not polled until '
                "this mailbox is saved or &ldquo;Retry sign-in&rdquo; is chosen in the list (a new refresh token "
                "or client secret goes into the worker's environment first).<br>The provider said: {}",
                when(mailbox.oauth_error_at),
                mailbox.oauth_error,
            )
        grant = "refresh token" if mailbox.oauth_grant == "refresh_token" else "client credentials"
        rotated = (
            format_html(
                "<br>The provider rotated the refresh token; the newest is kept encrypted (since {}) and used "
                "while {} holds the one it descends from.",
                when(mailbox.oauth_rotated_at),
                mailbox.oauth_refresh_token_env,
            )
            if mailbox.oauth_rotated_refresh_token
            else ""
        )
        return format_html(
            'Tokens from <span class="mail-url">{}</span> ({} grant, scope {}).{}',
            mailbox.oauth_effective_token_url or "(no token URL)",
            grant,
            mailbox.oauth_effective_scope or "(none)",
            rotated,
        )

    @admin.display(description="Last error")
    def short_error(self, mailbox: Mailbox) -> str:
        return truncatechars(mailbox.last_error, SHORT) if mailbox.failing else ""

    @admin.display(description="Last poll", ordering="last_polled_at")
    def last_poll(self, mailbox: Mailbox) -> str:
        return when(mailbox.last_polled_at)

    @admin.display(description="Last success", ordering="last_success_at")
    def last_success(self, mailbox: Mailbox) -> str:
        return when(mailbox.last_success_at)

    @admin.display(description="State")
    def state(self, mailbox: Mailbox) -> str:
        """The failing flag, in words (a green tick for "failing" would read as good news)."""
        if mailbox.needs_reauthorization:
            return format_html('<strong class="mail-failing">{}</strong>', "Needs re-authorization")
        if mailbox.failing:
            return format_html('<strong class="mail-failing">{}</strong>', "Failing")
        return "Working" if mailbox.last_success_at else "Not polled yet"

    @admin.display(description="Server / folder", ordering="host")
    def server(self, mailbox: Mailbox) -> str:
        return format_html('{}:{}<br><span class="quiet">{}</span>', mailbox.host, mailbox.port, mailbox.folder)

    @admin.action(description="Poll now", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        """Poll the selected mailboxes once, here and now (the worker polls them anyway every
        MAIL_POLL_SECONDS): to see at once whether a new or changed configuration works."""
        from mail.imap import poll_mailbox  # the IMAP client is only needed here

        for mailbox in queryset.select_related("category"):
            result = poll_mailbox(mailbox)
            if result.skipped:
                self.message_user(request, f"{mailbox}: being polled by the worker right now; try again in a moment.")
            elif result.error:
                self.message_user(request, f"{mailbox}: the poll failed: {result.error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{mailbox}: {result.fetched} emails taken, {result.imported} new "
                    f"({result.quarantined} quarantined, {result.refused} refused).",
                    messages.SUCCESS,
                )

    @admin.action(description="Retry sign-in", permissions=["change"])
    def retry_sign_in(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        """Clear "needs re-authorization" (after a new refresh token or client secret was put in
        the worker's environment) and poll at once, with a new token, to see whether it works."""
        from mail.imap import poll_mailbox
        from mail.oauth import clear_reauthorization

        for mailbox in queryset.select_related("category"):
            clear_reauthorization(mailbox)
            result = poll_mailbox(mailbox)
            if result.skipped:
                self.message_user(request, f"{mailbox}: being polled by the worker right now; try again in a moment.")
            elif result.error:
                self.message_user(request, f"{mailbox}: the sign-in or the poll failed: {result.error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{mailbox}: signed in; {result.fetched} emails taken, {result.imported} new.",
                    messages.SUCCESS,
                )


class OutcomeFilter(admin.SimpleListFilter):
    """By outcome, with the quarantine first: it is what an administrator comes here for."""

    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        quarantine = [(Outcome.QUARANTINED.value, "Quarantine")]
        return quarantine + [(value, label) for value, label in Outcome.choices if value != Outcome.QUARANTINED]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in Outcome.values:
            return queryset.filter(outcome=self.value())
        return queryset


class RouteFilter(admin.SimpleListFilter):
    title = "route"
    parameter_name = "route"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(route, label[0].upper() + label[1:]) for route, label in ROUTES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(route=self.value()) if self.value() in ROUTES else queryset


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    # Paired in four columns, to fit beside admin's menu and the filters: when and by which
    # route, the outcome and its reason, the sender and the subject, the ticket.
    list_display = ["received", "outcome_and_reason", "sender_and_subject", "ticket_link"]
    list_filter = [OutcomeFilter, RouteFilter, "mailbox"]
    search_fields = ["=email_id", "from_address", "subject"]
    show_full_result_count = False  # the ledger grows large: one count per page, not two
    fields = [
        "received_at",
        "outcome",
        "reason",
        "route_name",
        "mailbox",
        "from_address",
        "from_name",
        "subject",
        "email_id",
        "ticket_link",
        "message_link",
        "size",
        "acknowledged",
        "reingested_at",
        "original_link",
    ]
    readonly_fields = fields
    actions = ["reingest_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        # The original (up to MAIL_MAX_BYTES, compressed) is read only to be downloaded.
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InboundEmail | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: InboundEmail | None = None) -> bool:
        # A row of the ledger is what keeps a second arrival of its email out: only the
        # quarantine's rows may go, one by one from their page.
        return obj is not None and obj.outcome == Outcome.QUARANTINED and super().has_delete_permission(request, obj)

    def has_reingest_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    def get_urls(self) -> list:
        original = self.admin_site.admin_view(self.original_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_original"
        return [path("<int:pk>/original/", original, name=name), *super().get_urls()]

    def original_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = self.get_queryset(request).filter(pk=pk).first() if pk < 2**63 else None
        if row is None or not self.has_view_permission(request, row):
            raise Http404("No such email.")
        return original_response(row)

    class Media:
        css = {"all": ["css/mail-admin.css"]}

    @admin.display(description="Received / route", ordering="received_at")
    def received(self, row: InboundEmail) -> str:
        route = ROUTES.get(row.route, row.route)
        return format_html('{}<br><span class="quiet">by {}</span>', when(row.received_at), route)

    @admin.display(description="Route")
    def route_name(self, row: InboundEmail) -> str:
        return ROUTES.get(row.route, row.route)

    @admin.display(description="Outcome / reason", ordering="outcome")
    def outcome_and_reason(self, row: InboundEmail) -> str:
        outcome = OUTCOME_SHORT.get(row.outcome, row.outcome)
        if not row.reason:
            return outcome
        return format_html('{}<br><span class="quiet">{}</span>', outcome, truncatechars(row.reason, SHORT))

    @admin.display(description="From / subject", ordering="from_address")
    def sender_and_subject(self, row: InboundEmail) -> str:
        sender = row.from_address or truncatechars(row.from_name, SHORT) or "(no sender)"
        return format_html('{}<br><span class="quiet">{}</span>', sender, truncatechars(row.subject, SHORT) or "-")

    @admin.display(description="Ticket", ordering="ticket")
    def ticket_link(self, row: InboundEmail) -> str:
        if row.ticket_id is None:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("agent:ticket", args=[row.ticket_id]), row.ticket_id)

    @admin.display(description="Message")
    def message_link(self, row: InboundEmail) -> str:
        if row.message_id is None:
            return "-"
        url = reverse("agent:ticket", args=[row.ticket_id]) + f"#message-{row.message_id}"
        return format_html('<a href="{}">message {}</a>', url, row.message_id)

    @admin.display(description="Original")
    def original_link(self, row: InboundEmail) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_original", args=[row.pk])
        label = "Download the headers (.eml)" if row.outcome == Outcome.REFUSED else "Download the original (.eml)"
        return format_html('<a href="{}" download>{}</a>', url, label)

    @admin.action(description="Re-ingest the selected quarantined emails", permissions=["reingest"])
    def reingest_selected(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        """Read each quarantined email again (after a fix or a configuration change); one that
        still fails stays in quarantine with its new error, shown here and kept as its reason."""
        done: list[str] = []
        skipped = 0
        for row in queryset.order_by("received_at", "id"):
            if row.outcome != Outcome.QUARANTINED:
                skipped += 1
                continue
            try:
                row = reingest(row)
            except Exception as error:  # whatever it is, the row stays, the error is told
                logger.warning("re-ingest of email %s failed", row.pk, exc_info=True)
                reason = f"re-ingest failed: {type(error).__name__}: {error}"[:2000]
                InboundEmail.objects.filter(pk=row.pk, outcome=Outcome.QUARANTINED).update(reason=reason)
                self.message_user(request, f"Email {row.pk} is still in quarantine: {reason}", messages.ERROR)
                continue
            where = f" (ticket #{row.ticket_id})" if row.ticket_id else ""
            done.append(f"{row.pk}: {row.get_outcome_display().lower()}{where}")
        if done:
            self.message_user(request, f"Re-ingested {len(done)}: " + "; ".join(done) + ".", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} selected were not in quarantine and were left as they are.")

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    """Addresses our mail bounced from (agents see a warning on their tickets). Un-flag one
    (delete it) once the customer's address works again."""

    list_display = ["email", "bounces", "first_bounced_at", "last_bounced_at", "short_reason"]
    search_fields = ["email"]
    readonly_fields = ["email", "reason", "bounces", "first_bounced_at", "last_bounced_at"]
    actions = ["unflag"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BouncedAddress | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Reason")
    def short_reason(self, bounced: BouncedAddress) -> str:
        return truncatechars(bounced.reason, SHORT)

    @admin.action(description="Un-flag: mail to these addresses works again", permissions=["delete"])
    def unflag(self, request: HttpRequest, queryset: QuerySet[BouncedAddress]) -> None:
        addresses = sorted(queryset.values_list("email", flat=True))
        queryset.delete()
        self.message_user(request, f"Un-flagged {len(addresses)}: {', '.join(addresses)}.", messages.SUCCESS)
