from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from agents import tokens
from agents.models import Agent, Team, category_model
from agents.services import AgentUserTaken, find_user, route_categories, sync_staff_flag, user_for_agent


class AgentForm(forms.ModelForm):
    class Meta:
        model = Agent
        fields = [
            "user",
            "name",
            "email",
            "role",
            "specializations",
            "timezone",
            "working_hours",
            "max_tickets",
            "status",
        ]
        help_texts = {"user": "Leave empty to link the user with this email, or create one."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].required = False

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("user") and cleaned.get("email") and not self.instance.pk:
            existing = find_user(email=cleaned["email"])
            if existing is not None and Agent.objects.filter(user=existing).exists():
                self.add_error(
                    "user",
                    _("User %(username)s with this email is already an agent.") % {"username": existing.get_username()},
                )
        return cleaned


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ["name", "email", "role", "status", "max_tickets", "timezone", "last_assigned_at"]
    list_filter = ["role", "status", "specializations"]
    search_fields = ["name", "email", "user__username"]
    filter_horizontal = ["specializations"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change) -> None:
        if not obj.user_id:
            try:
                obj.user = user_for_agent(email=obj.email, username=None, name=obj.name)
            except AgentUserTaken as error:  # checked in AgentForm.clean; a race lands here
                raise ValueError(str(error)) from error
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        sync_staff_flag(form.instance)


class TeamForm(forms.ModelForm):
    """A team with the categories routed to it (Category.team, edited from this side)."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Categories routed here"),
        queryset=category_model().objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("New tickets of these categories go to this team; a category routes to one team only."),
    )

    class Meta:
        model = Team
        fields = ["name", "description", "members", "lead", "calendar", "restricted", "categories"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["categories"].initial = list(self.instance.categories.values_list("pk", flat=True))

    def clean(self):
        cleaned = super().clean()
        lead, members = cleaned.get("lead"), cleaned.get("members")
        if lead is not None and members is not None and lead not in members:
            self.add_error("lead", _("The lead must be one of the team's members."))
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "lead", "member_count", "calendar", "restricted"]
    list_filter = ["restricted"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["lead"]
    readonly_fields = ["mailbox_list"]
    fields = ["name", "description", "members", "lead", "calendar", "restricted", "categories", "mailbox_list"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lead", "calendar").prefetch_related("members")

    @admin.display(description=_("Members"))
    def member_count(self, team: Team) -> int:
        return len(team.members.all())

    @admin.display(description=_("Mailboxes routed here"))
    def mailbox_list(self, team: Team) -> str:
        # Each mailbox names its team (Mailbox.team); mail sits above agents, so it is set there.
        mailboxes = team.mailboxes.all() if team.pk else []
        return format_html_join(", ", "{}", ((str(mailbox),) for mailbox in mailboxes)) or "—"

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        route_categories(form.instance, form.cleaned_data["categories"])


class TokenForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=0,
        required=False,
        help_text=_("Empty: API_TOKEN_TTL_DAYS; 0: never expires."),
    )

    class Meta:
        model = tokens.AuthToken
        fields = ["user"]


admin.site.unregister(tokens.AuthToken)  # knox's own admin lists digests and shows no expiry


@admin.register(tokens.AuthToken)
class TokenAdmin(admin.ModelAdmin):
    """API tokens: issued here (the token is shown once), listed by owner, deleted to revoke."""

    form = TokenForm
    list_display = ["user", "prefix", "created", "expiry"]
    list_filter = ["expiry"]
    search_fields = ["user__username", "token_key"]
    autocomplete_fields = ["user"]

    @admin.display(description=_("Starts with"))
    def prefix(self, token) -> str:
        return f"{token.token_key}…"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        return ["user", "days"] if obj is None else ["user", "prefix", "created", "expiry"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "prefix", "created", "expiry"]

    def save_form(self, request, form, change):
        row, key = tokens.issue(form.cleaned_data["user"], days=form.cleaned_data.get("days"))
        self.message_user(
            request,
            _("New token for %(user)s (%(expires)s), shown only this once: %(key)s")
            % {"user": row.user.get_username(), "expires": tokens.expires(row), "key": key},
            messages.WARNING,
        )
        return row

    def save_model(self, request, obj, form, change) -> None:
        pass  # issued (and saved) by save_form

    def save_related(self, request, form, formsets, change) -> None:
        pass  # a token has no related rows

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:knox_authtoken_changelist"))
