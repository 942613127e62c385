"""The API's shapes of triggers: conditions and actions as nested lists, checked as a whole."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers

from automation.models import ActionKind, Event, Field, Group, Operator, Trigger
from automation.vocabulary import action_errors, condition_errors, flatten
from notifications.models import Webhook

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


def check_parts(
    conditions: Sequence[dict[str, Any]] | None,
    actions: Sequence[dict[str, Any]] | None,
    *,
    condition_check: Callable[..., dict[str, list[str]]] = condition_errors,
    webhook_exists: Callable[[int], bool] | None = None,
) -> None:
    """Raise the API's 400 for every part that breaks a rule, keyed `conditions[1].value`."""
    errors: dict[str, list[str]] = {}
    for index, part in enumerate(conditions or ()):
        found = condition_check(part["field"], part["operator"], part.get("value", ""))
        errors |= flatten(f"conditions[{index}]", found)
    for index, part in enumerate(actions or ()):
        found = action_errors(
            part["kind"],
            part.get("value", ""),
            part.get("subject", ""),
            part.get("body", ""),
            webhook_exists=webhook_exists,
        )
        errors |= flatten(f"actions[{index}]", found)
    if errors:
        raise serializers.ValidationError(errors)


def write_parts(instance, related_name: str, rows: Sequence[dict[str, Any]] | None) -> None:
    """Replace the instance's conditions or actions with `rows`, in their order."""
    if rows is None:
        return
    manager = getattr(instance, related_name)
    manager.all().delete()
    manager.model.objects.bulk_create(
        [manager.model(**{manager.field.name: instance}, position=position, **row) for position, row in enumerate(rows)]
    )


def _webhook_exists(pk: int) -> bool:

    return Webhook.objects.filter(pk=pk).exists()


class TriggerSerializer(serializers.ModelSerializer):
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

    def to_representation(self, instance: Trigger) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["conditions"] = [part.as_dict() for part in instance.conditions.all()]
        data["actions"] = [part.as_dict() for part in instance.actions.all()]
        return data

    def validate_events(self, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "actions" not in attrs:
            raise serializers.ValidationError({"actions": [_("A trigger needs at least one action.")]})
        check_parts(attrs.get("conditions"), attrs.get("actions"), webhook_exists=_webhook_exists)
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Trigger:
        conditions = validated_data.pop("conditions", [])
        actions = validated_data.pop("actions", [])
        trigger = Trigger.objects.create(**validated_data)
        write_parts(trigger, "conditions", conditions)
        write_parts(trigger, "actions", actions)
        return trigger

    @transaction.atomic
    def update(self, instance: Trigger, validated_data: dict[str, Any]) -> Trigger:
        conditions = validated_data.pop("conditions", None)
        actions = validated_data.pop("actions", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        write_parts(instance, "conditions", conditions)
        write_parts(instance, "actions", actions)
        return instance
