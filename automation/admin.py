"""Automation in Django admin: rules and macros as readable forms, checked by
automation.vocabulary on save (not raw JSON)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from automation.models import ActionKind, Macro, MacroAction
from automation.placeholders import check as check_placeholders
from automation.vocabulary import action_errors

# --- Macros (issue 23, point 3) ----------------------------------------------------------


class MacroActionForm(forms.ModelForm):
    """One action of a macro, checked as the API checks it (automation.vocabulary)."""

    class Meta:
        model = MacroAction
        fields = ["kind", "value", "subject", "body", "position"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None or self.errors:
            return data
        if kind == ActionKind.CALL_WEBHOOK:
            self.add_error("kind", _("Macros do not call webhooks; triggers and time rules do."))
            return data
        errors = action_errors(kind, data.get("value", ""), data.get("subject", ""), data.get("body", ""))
        for part, messages in errors.items():
            self.add_error(part if part in self.fields else None, messages)
        return data


class MacroActionInline(admin.StackedInline):
    model = MacroAction
    form = MacroActionForm
    extra = 0
    ordering = ["position", "id"]


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ["name", "reply", "owner", "team", "category", "active"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 8})}

    def clean_reply(self):
        reply = self.cleaned_data.get("reply", "")
        if (problem := check_placeholders(reply)) is not None:
            raise forms.ValidationError(problem)
        return reply

    def clean(self):
        data = super().clean()
        if data.get("owner") is not None and data.get("team") is not None:
            self.add_error("team", _("A personal macro is not shared with a team; empty the owner or the team."))
        name, owner = data.get("name"), data.get("owner")
        if name:
            taken = Macro.objects.filter(name=name, owner=owner)
            if self.instance.pk is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("name", _("Another macro of the same owner (or shared) has this name."))
        return data


class SharedFilter(admin.SimpleListFilter):
    title = _("shared")
    parameter_name = "shared"

    def lookups(self, request, model_admin):
        return [("yes", _("Shared")), ("no", _("Personal"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(owner=None)
        if self.value() == "no":
            return queryset.exclude(owner=None)
        return queryset


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroForm
    inlines = [MacroActionInline]
    list_display = ["name", "owner", "team", "category", "active", "updated_at"]
    list_filter = [SharedFilter, "team", "category", "active"]
    search_fields = ["name", "reply"]
    list_select_related = ["owner", "team", "category"]
    autocomplete_fields: list[str] = []
    fieldsets = [
        (None, {"fields": ["name", "reply", "active"]}),
        (
            _("Who uses it"),
            {
                "fields": ["owner", "team", "category"],
                "description": _(
                    "No owner: shared with everyone, or with one team's members. An owner: that agent's own."
                ),
            },
        ),
    ]
