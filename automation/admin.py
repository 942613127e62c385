"""Admin of automation: triggers (this section), time rules and macros (their sections below).

Conditions and actions are inline rows: a field, an operator and a value side by side, an
action with its subject and text, each checked on save by automation.vocabulary with the
error under the part it concerns."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from automation.models import Event, Trigger, TriggerAction, TriggerCondition
from automation.vocabulary import action_errors, condition_errors
from notifications.models import Webhook


class ConditionForm(forms.ModelForm):
    condition_check = staticmethod(condition_errors)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") or not cleaned.get("field") or not cleaned.get("operator"):
            return cleaned
        for part, messages in self.condition_check(
            cleaned["field"], cleaned["operator"], cleaned.get("value", "")
        ).items():
            for message in messages:
                self.add_error(part if part in self.fields else None, message)
        return cleaned


class ActionForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") or not cleaned.get("kind"):
            return cleaned
        found = action_errors(
            cleaned["kind"],
            cleaned.get("value", ""),
            cleaned.get("subject", ""),
            cleaned.get("body", ""),
            webhook_exists=lambda pk: Webhook.objects.filter(pk=pk).exists(),
        )
        for part, messages in found.items():
            for message in messages:
                self.add_error(part if part in self.fields else None, message)
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
        label=_("events"),
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
