from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sla.models import (
    AT_RISK_PERCENT,
    FIRST_RESPONSE_HOURS,
    RESOLUTION_HOURS,
    BusinessCalendar,
    SLAPolicy,
    SLAViolation,
)
from tickets.models import Category, Priority


class SLAPolicySerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False
    )
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), allow_null=True, required=False
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
                {"first_response_hours": ["The first response target cannot be longer than the resolution target."]}
            )
        return attrs


class SLAViolationSerializer(serializers.ModelSerializer):
    policy = serializers.CharField(source="policy.name", default=None, read_only=True)
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


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-11-01"})
class DateOrDateTimeField(serializers.Field):
    """An ISO date (midnight UTC) or date-time."""

    default_error_messages = {"invalid": "Use an ISO date (2026-11-01) or date-time (2026-11-01T08:00:00Z)."}

    def to_internal_value(self, value) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            moment = parse_datetime(value)
            if moment is None:
                day = parse_date(value)
                if day is None:
                    self.fail("invalid")
                moment = datetime.combine(day, time.min)
        except ValueError:
            self.fail("invalid")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class ComplianceQuerySerializer(serializers.Serializer):
    start = DateOrDateTimeField(required=False, help_text="Tickets created from (default: 30 days ago)")
    end = DateOrDateTimeField(required=False, help_text="Tickets created before (default: now)")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), required=False)
    agent = serializers.IntegerField(min_value=1, required=False)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("end", timezone.now())
        attrs.setdefault("start", attrs["end"] - timedelta(days=30))
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": ["The end must come after the start."]})
        return attrs


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


class ComplianceReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    tickets = serializers.IntegerField(help_text="Tickets created in the period that have an SLA policy")
    without_policy = serializers.IntegerField(help_text="Tickets in the period without any policy (not counted)")
    first_response = TargetFiguresSerializer()
    resolution = TargetFiguresSerializer()
    by_priority = PriorityFiguresSerializer(many=True)


class SLACheckResultSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    policy = serializers.CharField(allow_null=True)
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    new_violations = serializers.IntegerField()
    violations = SLAViolationSerializer(many=True)
