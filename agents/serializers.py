from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from agents.models import MAX_TICKETS, MIN_TICKETS, Agent, Team, category_model, validate_email_shape
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
    teams = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="The ids of the teams the agent is a member of (/api/support/teams)"
    )
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
            "teams",
            "last_assigned_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "open_tickets", "teams", "last_assigned_at", "created_at", "updated_at"]

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


class TeamSerializer(serializers.ModelSerializer):
    """A team: `members` and `lead` are agent ids, `calendar` a business calendar's id,
    `categories` the slugs of the categories routed to it (a category routes to one team:
    naming it here takes it from the team it routed to before), `mailboxes` the ids of the
    mailboxes routed to it (set on each mailbox)."""

    members = serializers.PrimaryKeyRelatedField(queryset=Agent.objects.all(), many=True, required=False)
    lead = serializers.PrimaryKeyRelatedField(queryset=Agent.objects.all(), allow_null=True, required=False)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=Team._meta.get_field("calendar").related_model.objects.all(),  # sla sits above agents
        allow_null=True,
        required=False,
        help_text="The team's business hours (an SLA business calendar): auto-assignment waits outside them",
    )
    categories = SlugRelatedField(slug_field="slug", queryset=category_model().objects.all(), many=True, required=False)
    mailboxes = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "description",
            "members",
            "lead",
            "calendar",
            "restricted",
            "categories",
            "mailboxes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "mailboxes", "created_at", "updated_at"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_mailboxes(self, team: Team) -> list[int]:
        return sorted(mailbox.pk for mailbox in team.mailboxes.all())

    def validate_name(self, name: str) -> str:
        if not name.strip():
            raise serializers.ValidationError(_("This field may not be blank."))
        return name.strip()

    def validate(self, attrs: dict) -> dict:
        lead = attrs.get("lead", getattr(self.instance, "lead", None))
        if "members" in attrs:
            members = {agent.pk for agent in attrs["members"]}
        else:
            members = set(self.instance.members.values_list("pk", flat=True)) if self.instance else set()
        if lead is not None and lead.pk not in members:
            raise serializers.ValidationError({"lead": [_("The lead must be one of the team's members.")]})
        return attrs
