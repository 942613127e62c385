"""The API's shapes of triggers: conditions and actions as nested lists, checked as a whole."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from automation.models import ActionKind, Event, Field, Group, Operator, Trigger
from automation.parts import PartsSerializerMixin, action_rows_errors, condition_rows_errors

# At most this many conditions and actions per rule: enough for any desk's rule, and a bound
# on what one ticket write checks.
PARTS_MAX = 30


class ConditionSerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=Group.choices, default=Group.ALL)
    field = serializers.ChoiceField(choices=Field.choices)
    operator = serializers.ChoiceField(choices=Operator.choices)
    value = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


class ActionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    value = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    subject = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    body = serializers.CharField(max_length=10000, allow_blank=True, required=False, default="")


class TriggerSerializer(PartsSerializerMixin, serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1, max_length=len(Event.values)
    )
    conditions = ConditionSerializer(many=True, required=False, max_length=PARTS_MAX)
    actions = ActionSerializer(many=True, max_length=PARTS_MAX, min_length=1)

    class Meta:
        model = Trigger
        fields = [
            "id",
            "name",
            "description",
            "events",
            "active",
            "position",
            "conditions",
            "actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_events(self, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "actions" not in attrs:
            raise serializers.ValidationError({"actions": [_("A trigger needs at least one action.")]})
        errors = condition_rows_errors(attrs.get("conditions") or ())
        errors |= action_rows_errors(attrs.get("actions") or ())
        if errors:
            raise serializers.ValidationError(errors)
        return attrs
