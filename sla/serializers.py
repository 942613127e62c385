from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from agents.models import Team
from core.api import SlugRelatedField
from customers.models import Organization
from sla.models import (
    AT_RISK_PERCENT,
    FIRST_RESPONSE_HOURS,
    RESOLUTION_HOURS,
    BusinessCalendar,
    SLAPolicy,
    SLAViolation,
)
from tickets.models import Category, Channel, Priority
from tickets.serializers import PeriodQuerySerializer


class SLAPolicySerializer(serializers.ModelSerializer):
    category = SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), allow_null=True, required=False
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), allow_null=True, required=False
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices, allow_blank=True, required=False, help_text="Empty: tickets from any channel"
    )
    first_response_hours = serializers.IntegerField(
        min_value=FIRST_RESPONSE_HOURS[0], max_value=FIRST_RESPONSE_HOURS[1]
    )
    resolution_hours = serializers.IntegerField(min_value=RESOLUTION_HOURS[0], max_value=RESOLUTION_HOURS[1])
    at_risk_percent = serializers.IntegerField(
        min_value=AT_RISK_PERCENT[0], max_value=AT_RISK_PERCENT[1], required=False
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "name",
            "priority",
            "category",
            "team",
            "organization",
            "channel",
            "first_response_hours",
            "resolution_hours",
            "calendar",
            "at_risk_percent",
            "slack_webhook_url",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"slack_webhook_url": {"write_only": True}}  # a secret: never read back

    def validate(self, attrs: dict) -> dict:
        first = attrs.get("first_response_hours", getattr(self.instance, "first_response_hours", None))
        resolution = attrs.get("resolution_hours", getattr(self.instance, "resolution_hours", None))
        if first and resolution and first > resolution:
            raise serializers.ValidationError(
                {"first_response_hours": [_("The first response target cannot be longer than the resolution target.")]}
            )
        return attrs


class SLAViolationSerializer(serializers.ModelSerializer):
    policy = serializers.CharField(source="policy.name", default=None, read_only=True, allow_null=True)
    minutes_late = serializers.IntegerField(read_only=True)

    class Meta:
        model = SLAViolation
        fields = ["id", "ticket", "kind", "policy", "due_at", "detected_at", "minutes_late"]
        read_only_fields = fields


class SLACheckSerializer(serializers.Serializer):
    """`{"ticket_id": N}`; `ticketId` is accepted too, for clients that speak camelCase."""

    ticket_id = serializers.IntegerField(min_value=1)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "ticket_id" not in data and "ticketId" in data:
            data = {**data, "ticket_id": data["ticketId"]}
        return super().to_internal_value(data)


class ComplianceQuerySerializer(PeriodQuerySerializer):
    """Tickets created in [start, end)."""

    priority = serializers.ChoiceField(choices=Priority.choices, required=False)


class TargetFiguresSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    open = serializers.IntegerField()
    compliance_percent = serializers.FloatField(allow_null=True)
    average_minutes = serializers.FloatField(allow_null=True)
    p90_minutes = serializers.FloatField(allow_null=True)


class PriorityFiguresSerializer(serializers.Serializer):
    priority = serializers.CharField()
    tickets = serializers.IntegerField()
    first_response = TargetFiguresSerializer()
    resolution = TargetFiguresSerializer()


class DailyComplianceSerializer(serializers.Serializer):
    day = serializers.DateField()
    tickets = serializers.IntegerField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance_percent = serializers.FloatField(allow_null=True)


class ComplianceReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    tickets = serializers.IntegerField(help_text="Tickets created in the period that have an SLA policy")
    without_policy = serializers.IntegerField(help_text="Tickets in the period without any policy (not counted)")
    first_response = TargetFiguresSerializer()
    resolution = TargetFiguresSerializer()
    by_priority = PriorityFiguresSerializer(many=True)
    by_day = DailyComplianceSerializer(many=True, help_text="Both targets together, per creation day")
    generated_at = serializers.DateTimeField(
        read_only=True, help_text="When these figures were computed (answers are cached for REPORT_CACHE_SECONDS)"
    )


class SLACheckResultSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    policy = serializers.CharField(allow_null=True)
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    new_violations = serializers.IntegerField()
    violations = SLAViolationSerializer(many=True)
