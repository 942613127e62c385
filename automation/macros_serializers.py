"""The macros API's shapes (automation.macros_api): a macro with its actions written as a whole,
and what applying or previewing one answers.

Errors of an action are keyed by its place in the list and its part, `actions[1].value`, as
automation.vocabulary words them; the reply's placeholders are checked by
automation.placeholders.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import Team
from automation.models import ActionKind, Macro, MacroAction
from automation.placeholders import check as check_placeholders
from automation.vocabulary import action_errors, flatten
from core.api import MAX_ID, SlugRelatedField
from tickets.models import BODY_MAX, Category
from tickets.serializers import TicketDetailSerializer

MAX_ACTIONS = 50


class MacroActionSerializer(serializers.ModelSerializer):
    """One action: `kind`, and the `value`, `subject` and `body` it takes (automation.vocabulary)."""

    value = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    subject = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    body = serializers.CharField(max_length=BODY_MAX, allow_blank=True, required=False, default="")

    class Meta:
        model = MacroAction
        fields = ["kind", "value", "subject", "body"]


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _flat_errors(detail: Any) -> Any:
    """DRF's nested errors of `actions` ({"actions": [{}, {"value": [...]}]}) keyed as
    `actions[1].value`, like the vocabulary's."""
    if not isinstance(detail, dict) or "actions" not in detail:
        return detail
    flat = {key: value for key, value in detail.items() if key != "actions"}
    actions = detail["actions"]
    if isinstance(actions, list):  # DRF's older shape: one entry per action, empty when fine
        actions = {position: item for position, item in enumerate(actions) if item}
    if isinstance(actions, dict) and actions and all(isinstance(key, int) for key in actions):
        for position, item in sorted(actions.items()):
            for part, messages in item.items() if isinstance(item, dict) else [("non_field_errors", item)]:
                key = f"actions[{position}]" if part == "non_field_errors" else f"actions[{position}].{part}"
                flat[key] = messages
    elif isinstance(actions, dict):  # not a list at all
        flat["actions"] = actions.get("non_field_errors", list(actions.values()))
    else:
        flat["actions"] = actions
    return flat


class MacroSerializer(serializers.ModelSerializer):
    """A macro. `shared`: for everyone who works tickets (or only `team`'s members); written
    by supervisors and admins. Not shared: the caller's own (`owner`). `category`: a
    category's slug, whose tickets are offered it first. `actions` are replaced as a whole."""

    shared = serializers.BooleanField(default=False, help_text="Shared (no owner); otherwise the caller's own")
    owner = serializers.SerializerMethodField()
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        help_text="Shared with this team's members only (a shared macro's); null: with everyone",
    )
    category = SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False)
    reply = serializers.CharField(max_length=BODY_MAX, allow_blank=True, required=False, default="")
    actions = MacroActionSerializer(many=True, required=False, max_length=MAX_ACTIONS)

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "reply",
            "shared",
            "owner",
            "team",
            "category",
            "active",
            "actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]

    @extend_schema_field(OwnerSerializer(allow_null=True))
    def get_owner(self, macro: Macro) -> dict | None:
        if macro.owner_id is None:
            return None
        return {"id": macro.owner_id, "name": macro.owner.name}

    def to_representation(self, macro: Macro) -> dict:
        data = super().to_representation(macro)
        data["shared"] = macro.owner_id is None
        return data

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(_flat_errors(error.detail)) from error

    def validate_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise serializers.ValidationError(_("This field may not be blank."))
        return name

    def validate_reply(self, reply: str) -> str:
        if (problem := check_placeholders(reply)) is not None:
            raise serializers.ValidationError(problem)
        return reply

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, list[str]] = {}
        instance = self.instance
        shared = attrs.get("shared", instance.owner_id is None if instance is not None else False)
        team = attrs.get("team", instance.team if instance is not None else None)
        if team is not None and not shared:
            errors["team"] = [_("Only a shared macro is shared with a team; set shared, or leave the team empty.")]
        for position, action in enumerate(attrs.get("actions", [])):
            for part in ("value", "subject", "body"):  # a partial update leaves out the defaults
                action.setdefault(part, "")
            if action["kind"] == ActionKind.CALL_WEBHOOK:
                found = {"kind": [_("Macros do not call webhooks; triggers and time rules do.")]}
            else:
                found = action_errors(action["kind"], action["value"], action["subject"], action["body"])
            errors.update(flatten(f"actions[{position}]", found))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @transaction.atomic
    def save_macro(self, *, owner) -> Macro:
        """Create or change the macro (with its actions, replaced as a whole) for `owner`
        (None: shared); a name taken by another macro of the same scope is refused."""
        data = dict(self.validated_data)
        data.pop("shared", None)
        actions = data.pop("actions", None)
        name = data.get("name", self.instance.name if self.instance is not None else "")
        taken = Macro.objects.filter(name=name, owner=owner)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                {"name": [_("Another macro of yours or shared is already named “%(name)s”.") % {"name": name}]}
            )
        if owner is not None:
            data["team"] = None
        macro = self.instance or Macro()
        for key, value in data.items():
            setattr(macro, key, value)
        macro.owner = owner
        macro.save()
        if actions is not None:
            macro.actions.all().delete()
            MacroAction.objects.bulk_create(
                MacroAction(macro=macro, position=position, **action) for position, action in enumerate(actions)
            )
        self.instance = macro
        return macro


class MacroApplySerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The ticket to apply the macro to")
    reply = serializers.CharField(
        max_length=BODY_MAX,
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text="The reply as edited (sent as it is); left out: the macro's, placeholders filled; empty: none",
    )


class MacroPreviewQuerySerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class MacroPreviewSerializer(serializers.Serializer):
    macro = serializers.IntegerField()
    reply = serializers.CharField(help_text="The reply as the customer would read it (placeholders filled)")
    changes = serializers.ListField(child=serializers.CharField(), help_text="What it would change, in words")
    refused = serializers.ListField(
        child=serializers.CharField(), help_text="What it would not do, and why (e.g. a status not allowed)"
    )


class MacroAppliedSerializer(serializers.Serializer):
    macro = serializers.IntegerField()
    message = serializers.IntegerField(allow_null=True, help_text="The reply sent, if any")
    done = serializers.ListField(child=serializers.CharField(), help_text="What changed, in words")
    skipped = serializers.ListField(child=serializers.CharField(), help_text="What was not done, and why")
    ticket = TicketDetailSerializer(help_text="The ticket as changed (as GET /api/support/tickets/{id} answers)")
