"""Admin of automation: triggers, time rules and macros, each in its section below.

Conditions and actions are inline rows: a field, an operator and a value side by side, an
action with its subject and text, each checked on save by automation.vocabulary with the
error under the part it concerns."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from automation.models import (
    ActionKind,
    Event,
    Field,
    Macro,
    MacroAction,
    RuleFiring,
    TimeRule,
    TimeRuleAction,
    TimeRuleCondition,
    Trigger,
    TriggerAction,
    TriggerCondition,
)
from automation.placeholders import check as check_placeholders
from automation.vocabulary import (
    TIME_RULE_FIELDS,
    action_errors,
    condition_errors,
    time_rule_condition_errors,
    time_rule_errors,
)

# --- Triggers (issue 23, point 1) --------------------------------------------------------


def add_errors(form: forms.ModelForm, errors: dict[str, list[str]]) -> None:
    """The vocabulary's errors under the form's fields they name (the form's own otherwise)."""
    for part, messages in errors.items():
        form.add_error(part if part in form.fields else None, messages)


class ConditionForm(forms.ModelForm):
    """One condition row, checked by the vocabulary as the API checks it."""

    condition_check = staticmethod(condition_errors)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") or not cleaned.get("field") or not cleaned.get("operator"):
            return cleaned
        add_errors(self, self.condition_check(cleaned["field"], cleaned["operator"], cleaned.get("value", "")))
        return cleaned


class ActionForm(forms.ModelForm):
    """One action row, checked by the vocabulary as the API checks it."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") or not cleaned.get("kind"):
            return cleaned
        found = action_errors(
            cleaned["kind"], cleaned.get("value", ""), cleaned.get("subject", ""), cleaned.get("body", "")
        )
        add_errors(self, found)
        return cleaned


class TriggerConditionInline(admin.TabularInline):
    model = TriggerCondition
    form = ConditionForm
    fields = ["position", "group", "field", "operator", "value"]
    extra = 1


class TriggerActionInline(admin.StackedInline):
    model = TriggerAction
    form = ActionForm
    fields = [("position", "kind", "value"), "subject", "body"]
    extra = 1


class TriggerForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The trigger is checked when one of these happens."),
    )

    class Meta:
        model = Trigger
        fields = ["name", "description", "events", "active", "position"]


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    form = TriggerForm
    list_display = ["name", "position", "active", "event_list", "updated_at"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    search_fields = ["name", "description"]
    inlines = [TriggerConditionInline, TriggerActionInline]

    @admin.display(description=_("events"))
    def event_list(self, trigger: Trigger) -> str:
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in trigger.events)


# --- Time rules (issue 23, point 2) ------------------------------------------------------


class TimeRuleForm(forms.ModelForm):
    class Meta:
        model = TimeRule
        fields = ["name", "description", "clock", "hours", "business_hours", "calendar", "active", "position"]

    def clean(self) -> dict:
        data = super().clean()
        add_errors(self, time_rule_errors(business_hours=data.get("business_hours"), calendar=data.get("calendar")))
        return data


class TimeRuleConditionForm(ConditionForm):
    condition_check = staticmethod(time_rule_condition_errors)

    class Meta:
        model = TimeRuleCondition
        fields = ["group", "field", "operator", "value", "position"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only what a time rule can check (the vocabulary still refuses the rest).
        self.fields["field"].choices = [("", "---------")] + [
            (value, label) for value, label in Field.choices if value in TIME_RULE_FIELDS
        ]


class TimeRuleActionForm(ActionForm):
    class Meta:
        model = TimeRuleAction
        fields = ["kind", "value", "subject", "body", "position"]


class AtLeastOneActionFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and (form.instance.pk is not None or form.has_changed())  # a saved action, or a new one filled in
        ]
        if not kept and not any(form.errors for form in self.forms):
            raise forms.ValidationError(_("Add at least one action."))


class TimeRuleConditionInline(admin.TabularInline):
    model = TimeRuleCondition
    form = TimeRuleConditionForm
    extra = 1


class TimeRuleActionInline(admin.StackedInline):
    model = TimeRuleAction
    form = TimeRuleActionForm
    formset = AtLeastOneActionFormSet
    extra = 1


@admin.register(TimeRule)
class TimeRuleAdmin(admin.ModelAdmin):
    form = TimeRuleForm
    list_display = ["name", "clock", "hours", "business_hours", "active", "position"]
    list_filter = ["active", "clock", "business_hours"]
    list_editable = ["active", "position"]
    search_fields = ["name", "description"]
    inlines = [TimeRuleConditionInline, TimeRuleActionInline]


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    """What the time rules did: read only (the rules' runs write it)."""

    list_display = ["rule", "ticket_number", "stamp", "created_at", "applied_at"]
    list_filter = ["rule", ("applied_at", admin.EmptyFieldListFilter)]
    list_select_related = ["rule"]
    search_fields = ["=ticket__id"]
    date_hierarchy = "created_at"

    @admin.display(description=_("ticket"), ordering="ticket_id")
    def ticket_number(self, firing: RuleFiring) -> str:
        return f"#{firing.ticket_id}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
        add_errors(self, action_errors(kind, data.get("value", ""), data.get("subject", ""), data.get("body", "")))
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
