"""The time rules' API serializers (/api/support/automations): a rule with its conditions
and actions, written as a whole and checked by the vocabulary (automation.vocabulary)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from automation.models import ActionKind, Clock, Field, Group, Operator, TimeRule
from automation.parts import PartsSerializerMixin, action_rows_errors, condition_rows_errors
from automation.vocabulary import time_rule_condition_errors, time_rule_errors
from sla.models import BusinessCalendar

MAX_HOURS = 24 * 366


class TimeRuleConditionSerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=Group.choices, default=Group.ALL)
    # Checked by the vocabulary with the rest (errors keyed "conditions[1].field"), so plain text here.
    field = serializers.CharField(max_length=20, help_text=", ".join(Field.values))
    operator = serializers.CharField(max_length=20, help_text=", ".join(Operator.values))
    value = serializers.CharField(max_length=255, allow_blank=True, default="")


class TimeRuleActionSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=20, help_text=", ".join(ActionKind.values))
    value = serializers.CharField(max_length=255, allow_blank=True, default="")
    subject = serializers.CharField(max_length=255, allow_blank=True, default="")
    body = serializers.CharField(max_length=10000, allow_blank=True, default="")


class TimeRuleSerializer(PartsSerializerMixin, serializers.ModelSerializer):
    clock = serializers.ChoiceField(choices=Clock.choices, help_text="What the hours are counted from")
    hours = serializers.IntegerField(min_value=1, max_value=MAX_HOURS)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(),
        allow_null=True,
        required=False,
        help_text="The business calendar whose hours count (required with business_hours)",
    )
    conditions = TimeRuleConditionSerializer(many=True, required=False, help_text="Replaced as a whole when given")
    actions = TimeRuleActionSerializer(many=True, required=False, help_text="Replaced as a whole when given")

    class Meta:
        model = TimeRule
        fields = [
            "id",
            "name",
            "description",
            "clock",
            "hours",
            "business_hours",
            "calendar",
            "active",
            "position",
            "conditions",
            "actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def _current(self, attrs: dict, name: str, default=None):
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, default) if self.instance is not None else default

    def validate(self, attrs: dict) -> dict:
        errors = time_rule_errors(
            business_hours=self._current(attrs, "business_hours", False), calendar=self._current(attrs, "calendar")
        )
        if "conditions" in attrs:
            errors.update(condition_rows_errors(attrs["conditions"], check=time_rule_condition_errors))
        actions = attrs.get("actions")
        if actions is None and self.instance is None:
            actions = []
        if actions is not None:
            if not actions:
                errors["actions"] = [_("Add at least one action.")]
            errors.update(action_rows_errors(actions))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
