"""The email channel in Django admin: the mailboxes polled and how their last poll went, the
ledger of every email received (with its quarantine, re-ingestable), and addresses that bounce.

The ledger is read-only here: what an email became is the ingest's doing (mail.ingest), and
a row deleted would let the same email in a second time. Only a quarantined row may be
deleted (dismissed), one at a time from its page.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import truncatechars
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from customers.services import customers_clear_bouncing
from mail.forms import MailboxForm
from mail.ingest import reingest
from mail.models import BouncedAddress, InboundEmail, Mailbox, Outcome
from mail.services import mailbox_save
from mail.views import original_response

logger = logging.getLogger(__name__)

SHORT = 80  # characters of an error, a reason or a subject shown in a list
# An outcome in a list's narrow column (the filter and an email's page say it in full).
OUTCOME_SHORT = {
    Outcome.TICKET: pgettext_lazy("email outcome", "New ticket"),
    Outcome.REPLY: pgettext_lazy("email outcome", "Reply"),
    Outcome.NOTE: pgettext_lazy("email outcome", "Note (other sender)"),
    Outcome.AUTOMATIC: pgettext_lazy("email outcome", "Automatic"),
    Outcome.BOUNCE: pgettext_lazy("email outcome", "Bounce"),
    Outcome.OWN: pgettext_lazy("email outcome", "Our own"),
    Outcome.REFUSED: pgettext_lazy("email outcome", "Refused"),
    Outcome.QUARANTINED: pgettext_lazy("email outcome", "Quarantined"),
}

ROUTES = {
    # Translators: how an email reached the helpdesk, after "by" ("by the MTA pipe") and alone in a filter.
    "imap": pgettext_lazy("mail route", "IMAP"),
    "webhook": pgettext_lazy("mail route", "a provider's webhook"),
    "pipe": pgettext_lazy("mail route", "the MTA pipe"),
    "maildir": pgettext_lazy("mail route", "the Maildir"),
}


def when(value) -> str:
    """A time in a list, short: "5 Dec 2026, 10:52" in the current time zone."""
    return date_format(localtime(value), "j M Y, H:i") if value else "-"


# The fieldset folded away on a mailbox that signs in with a password (get_fieldsets).
OAUTH2_FIELDSET = gettext_lazy("Sign-in with OAuth2")

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
    list_select_related = ["category", "team"]
    readonly_fields = [*LAST_POLL_FIELDS, "oauth_state"]
    fieldsets = [
        (None, {"fields": ["name", "enabled"]}),
        (gettext_lazy("Server"), {"fields": ["host", "port", "security"]}),
        (gettext_lazy("Sign-in"), {"fields": ["auth", "username", "password_env"]}),
        (
            OAUTH2_FIELDSET,
            {
                "description": gettext_lazy(
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
        (gettext_lazy("Folders"), {"fields": ["folder", "after_import", "move_to"]}),
        (gettext_lazy("New tickets"), {"fields": ["category", "team", "priority"]}),
        (gettext_lazy("Last poll"), {"fields": LAST_POLL_FIELDS}),
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
            (name, {**options, "classes": ["collapse"]}) if name == OAUTH2_FIELDSET else (name, options)
            for name, options in fieldsets
        ]

    def save_model(self, request: HttpRequest, obj: Mailbox, form: forms.ModelForm, change: bool) -> None:
        """Saved by an administrator: an OAuth2 sign-in refused before is tried again at the next
        poll (with a new token: the configuration may have changed)."""
        mailbox_save(mailbox=obj)

    @admin.display(description=gettext_lazy("Sign-in state"))
    def oauth_state(self, mailbox: Mailbox) -> str:
        if not mailbox.pk:
            return _("Not signed in yet.")
        if not mailbox.uses_oauth2:
            return _("Not used: this mailbox signs in with a password.")
        if mailbox.needs_reauthorization:
            todo = _(
                # Translators: follows the words "Needs re-authorization" (in bold); "since" is a date and time.
                # "Retry sign-in" is the name of an action in the list of mailboxes.
                "since %(since)s: not polled until this mailbox is saved or “Retry sign-in” is chosen in the list "
                "(a new refresh token or client secret goes into the worker's environment first)."
            ) % {"since": when(mailbox.oauth_error_at)}
            said = _("The provider said: %(error)s") % {"error": mailbox.oauth_error}
            return format_html(
                '<strong class="mail-failing">{}</strong> {}<br>{}', _("Needs re-authorization"), todo, said
            )
        grant = _("refresh token") if mailbox.oauth_grant == "refresh_token" else _("client credentials")
        rotated = (
            format_html(
                "<br>{}",
                _(
                    # Translators: "since" is a date and time, "variable" the name of an environment variable.
                    "The provider rotated the refresh token; the newest is kept encrypted (since %(since)s) and "
                    "used while %(variable)s holds the one it descends from."
                )
                % {"since": when(mailbox.oauth_rotated_at), "variable": mailbox.oauth_refresh_token_env},
            )
            if mailbox.oauth_rotated_refresh_token
            else ""
        )
        # Translators: where the mailbox gets its OAuth2 tokens; "url" is the token endpoint, "grant" the
        # words "refresh token" or "client credentials", "scope" what the tokens are asked for. Keep
        # the braces and the names in them.
        tokens = _("Tokens from {url} ({grant} grant, scope {scope}).")
        return format_html(
            tokens + "{rotated}",
            url=format_html(
                '<span class="mail-url">{}</span>', mailbox.oauth_effective_token_url or _("(no token URL)")
            ),
            grant=grant,
            scope=mailbox.oauth_effective_scope or _("(none)"),
            rotated=rotated,
        )

    @admin.display(description=gettext_lazy("Last error"))
    def short_error(self, mailbox: Mailbox) -> str:
        return truncatechars(mailbox.last_error, SHORT) if mailbox.failing else ""

    @admin.display(description=gettext_lazy("Last poll"), ordering="last_polled_at")
    def last_poll(self, mailbox: Mailbox) -> str:
        return when(mailbox.last_polled_at)

    @admin.display(description=gettext_lazy("Last success"), ordering="last_success_at")
    def last_success(self, mailbox: Mailbox) -> str:
        return when(mailbox.last_success_at)

    @admin.display(description=gettext_lazy("State"))
    def state(self, mailbox: Mailbox) -> str:
        """The failing flag, in words (a green tick for "failing" would read as good news)."""
        if mailbox.needs_reauthorization:
            return format_html('<strong class="mail-failing">{}</strong>', _("Needs re-authorization"))
        if mailbox.failing:
            return format_html('<strong class="mail-failing">{}</strong>', pgettext("mailbox state", "Failing"))
        return pgettext("mailbox state", "Working") if mailbox.last_success_at else _("Not polled yet")

    @admin.display(description=gettext_lazy("Server / folder"), ordering="host")
    def server(self, mailbox: Mailbox) -> str:
        return format_html('{}:{}<br><span class="quiet">{}</span>', mailbox.host, mailbox.port, mailbox.folder)

    @admin.action(description=gettext_lazy("Poll now"), permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        """Poll the selected mailboxes once, here and now (the worker polls them anyway every
        MAIL_POLL_SECONDS): to see at once whether a new or changed configuration works."""
        from mail.imap import poll_mailbox  # the IMAP client is only needed here

        for mailbox in queryset.select_related("category"):
            result = poll_mailbox(mailbox)
            if result.skipped:
                self.message_user(
                    request,
                    _("%(mailbox)s: being polled by the worker right now; try again in a moment.")
                    % {"mailbox": mailbox},
                )
            elif result.error:
                self.message_user(
                    request,
                    _("%(mailbox)s: the poll failed: %(error)s") % {"mailbox": mailbox, "error": result.error},
                    messages.ERROR,
                )
            else:
                message = ngettext(
                    # Translators: after polling a mailbox; the English is the same for one email and for many.
                    "%(mailbox)s: %(fetched)d emails taken, %(imported)d new "
                    "(%(quarantined)d quarantined, %(refused)d refused).",
                    "%(mailbox)s: %(fetched)d emails taken, %(imported)d new "
                    "(%(quarantined)d quarantined, %(refused)d refused).",
                    result.fetched,
                )
                values = {
                    "mailbox": mailbox,
                    "fetched": result.fetched,
                    "imported": result.imported,
                    "quarantined": result.quarantined,
                    "refused": result.refused,
                }
                self.message_user(request, message % values, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Retry sign-in"), permissions=["change"])
    def retry_sign_in(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        """Clear "needs re-authorization" (after a new refresh token or client secret was put in
        the worker's environment) and poll at once, with a new token, to see whether it works."""
        from mail.imap import poll_mailbox
        from mail.oauth import clear_reauthorization

        for mailbox in queryset.select_related("category"):
            clear_reauthorization(mailbox)
            result = poll_mailbox(mailbox)
            if result.skipped:
                self.message_user(
                    request,
                    _("%(mailbox)s: being polled by the worker right now; try again in a moment.")
                    % {"mailbox": mailbox},
                )
            elif result.error:
                self.message_user(
                    request,
                    _("%(mailbox)s: the sign-in or the poll failed: %(error)s")
                    % {"mailbox": mailbox, "error": result.error},
                    messages.ERROR,
                )
            else:
                message = ngettext(
                    # Translators: the English is the same for one email and for many.
                    "%(mailbox)s: signed in; %(fetched)d emails taken, %(imported)d new.",
                    "%(mailbox)s: signed in; %(fetched)d emails taken, %(imported)d new.",
                    result.fetched,
                )
                values = {"mailbox": mailbox, "fetched": result.fetched, "imported": result.imported}
                self.message_user(request, message % values, messages.SUCCESS)


class OutcomeFilter(admin.SimpleListFilter):
    """By outcome, with the quarantine first: it is what an administrator comes here for."""

    title = gettext_lazy("outcome")
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        quarantine = [(Outcome.QUARANTINED.value, _("Quarantine"))]
        return quarantine + [(value, label) for value, label in Outcome.choices if value != Outcome.QUARANTINED]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in Outcome.values:
            return queryset.filter(outcome=self.value())
        return queryset


class RouteFilter(admin.SimpleListFilter):
    title = pgettext_lazy("mail route", "route")
    parameter_name = "route"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(route, capfirst(label)) for route, label in ROUTES.items()]

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
            raise Http404(_("No such email."))
        return original_response(row)

    class Media:
        css = {"all": ["css/mail-admin.css"]}

    @admin.display(description=gettext_lazy("Received / route"), ordering="received_at")
    def received(self, row: InboundEmail) -> str:
        # Translators: how an email came in, under the time it came: "by IMAP", "by the MTA pipe".
        route = _("by %(route)s") % {"route": ROUTES.get(row.route, row.route)}
        return format_html('{}<br><span class="quiet">{}</span>', when(row.received_at), route)

    @admin.display(description=pgettext_lazy("mail route", "Route"))
    def route_name(self, row: InboundEmail) -> str:
        return ROUTES.get(row.route, row.route)

    @admin.display(description=gettext_lazy("Outcome / reason"), ordering="outcome")
    def outcome_and_reason(self, row: InboundEmail) -> str:
        outcome = OUTCOME_SHORT.get(row.outcome, row.outcome)
        if not row.reason:
            return outcome
        return format_html('{}<br><span class="quiet">{}</span>', outcome, truncatechars(row.reason, SHORT))

    @admin.display(description=gettext_lazy("From / subject"), ordering="from_address")
    def sender_and_subject(self, row: InboundEmail) -> str:
        sender = row.from_address or truncatechars(row.from_name, SHORT) or _("(no sender)")
        return format_html('{}<br><span class="quiet">{}</span>', sender, truncatechars(row.subject, SHORT) or "-")

    @admin.display(description=gettext_lazy("Ticket"), ordering="ticket")
    def ticket_link(self, row: InboundEmail) -> str:
        if row.ticket_id is None:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("agent:ticket", args=[row.ticket_id]), row.ticket_id)

    @admin.display(description=gettext_lazy("Message"))
    def message_link(self, row: InboundEmail) -> str:
        if row.message_id is None:
            return "-"
        url = reverse("agent:ticket", args=[row.ticket_id]) + f"#message-{row.message_id}"
        return format_html('<a href="{}">{}</a>', url, _("message %(id)s") % {"id": row.message_id})

    @admin.display(description=gettext_lazy("Original"))
    def original_link(self, row: InboundEmail) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_original", args=[row.pk])
        if row.outcome == Outcome.REFUSED:
            label = _("Download the headers (.eml)")
        else:
            label = _("Download the original (.eml)")
        return format_html('<a href="{}" download>{}</a>', url, label)

    @admin.action(description=gettext_lazy("Re-ingest the selected quarantined emails"), permissions=["reingest"])
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
                self.message_user(
                    request,
                    _("Email %(id)s is still in quarantine: %(reason)s") % {"id": row.pk, "reason": reason},
                    messages.ERROR,
                )
                continue
            values = {"id": row.pk, "outcome": row.get_outcome_display().lower(), "ticket": row.ticket_id}
            if row.ticket_id:
                # Translators: one email of "Re-ingested %(count)d: %(emails)s."; "outcome" is what it became.
                done.append(_("%(id)s: %(outcome)s (ticket #%(ticket)s)") % values)
            else:
                done.append(_("%(id)s: %(outcome)s") % values)
        if done:
            # Translators: "emails" is a list of "<id>: <outcome>" separated by semicolons. The English is
            # the same for one email and for many.
            message = ngettext("Re-ingested %(count)d: %(emails)s.", "Re-ingested %(count)d: %(emails)s.", len(done))
            self.message_user(request, message % {"count": len(done), "emails": "; ".join(done)}, messages.SUCCESS)
        if skipped:
            message = ngettext(
                # Translators: the English is the same for one email and for many.
                "%(count)d selected were not in quarantine and were left as they are.",
                "%(count)d selected were not in quarantine and were left as they are.",
                skipped,
            )
            self.message_user(request, message % {"count": skipped})

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

    @admin.display(description=gettext_lazy("Reason"))
    def short_reason(self, bounced: BouncedAddress) -> str:
        return truncatechars(bounced.reason, SHORT)

    @admin.action(description=gettext_lazy("Un-flag: mail to these addresses works again"), permissions=["delete"])
    def unflag(self, request: HttpRequest, queryset: QuerySet[BouncedAddress]) -> None:
        addresses = sorted(queryset.values_list("email", flat=True))
        with transaction.atomic():
            queryset.delete()
            customers_clear_bouncing(addresses)  # the profiles' flag agrees with the rows
        message = ngettext(
            # Translators: "addresses" is a comma-separated list of email addresses. The English is the same
            # for one address and for many.
            "Un-flagged %(count)d: %(addresses)s.",
            "Un-flagged %(count)d: %(addresses)s.",
            len(addresses),
        )
        self.message_user(
            request, message % {"count": len(addresses), "addresses": ", ".join(addresses)}, messages.SUCCESS
        )
