from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from agents.models import MAX_TICKETS, MIN_TICKETS, Agent, category_model, validate_email_shape
from core.api import SlugRelatedField


class AgentSerializer(serializers.ModelSerializer):
    specializations = SlugRelatedField(
        slug_field="slug", queryset=category_model().objects.all(), many=True, allow_empty=False
    )
    max_tickets = serializers.IntegerField(min_value=MIN_TICKETS, max_value=MAX_TICKETS, required=False)
    username = serializers.CharField(
        source="user.username", required=False, max_length=150, help_text="Links an existing user on create"
    )
    open_tickets = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(
        max_length=254,
        validators=[
            validate_email_shape,
            UniqueValidator(queryset=Agent.objects.all(), message=_("An agent with this email already exists.")),
        ],
    )

    class Meta:
        model = Agent
        fields = [
            "id",
            "username",
            "name",
            "email",
            "role",
            "specializations",
            "timezone",
            "working_hours",
            "max_tickets",
            "status",
            "language",
            "open_tickets",
            "last_assigned_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "open_tickets", "last_assigned_at", "created_at", "updated_at"]

    def validate_max_tickets(self, value: int) -> int:
        if self.instance is not None:
            load = getattr(self.instance, "open_tickets", None)
            if load is not None and value < load:
                raise serializers.ValidationError(
                    _("%(name)s has %(load)s open tickets; reassign some before lowering the capacity.")
                    % {"name": self.instance.name, "load": load}
                )
        return value

    def validate_name(self, name: str) -> str:
        if not name.strip():
            raise serializers.ValidationError(_("This field may not be blank."))
        return name.strip()
