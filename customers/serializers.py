from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import LANGUAGE_CHOICES
from core.api import MAX_ID
from customers.models import Customer, Organization


class TicketBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketSummarySerializer(serializers.Serializer):
    open = serializers.IntegerField(help_text="Tickets not yet resolved or closed")
    total = serializers.IntegerField()
    newest = TicketBriefSerializer(many=True, help_text="The newest few")


class CustomerSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True, default=None, allow_null=True)
    vip = serializers.BooleanField(
        source="organization.vip", read_only=True, default=False, help_text="Their organisation is a VIP"
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "email",
            "aliases",
            "name",
            "language",
            "organization",
            "organization_name",
            "vip",
            "notes",
            "bouncing",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerDetailSerializer(CustomerSerializer):
    tickets = serializers.SerializerMethodField(help_text="Their tickets that the caller may see")

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "tickets"]
        read_only_fields = fields

    @extend_schema_field(TicketSummarySerializer)
    def get_tickets(self, customer: Customer) -> dict:
        return TicketSummarySerializer(self.context["tickets"]).data


class UnknownFieldsRefused:
    """A field the endpoint does not change is a 400 naming it, not silently ignored."""

    def validate(self, attrs: dict) -> dict:
        unknown = set(getattr(self, "initial_data", {}) or {}) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {field: [_("This field cannot be changed here.")] for field in sorted(unknown)}
            )
        return attrs


class CustomerUpdateSerializer(UnknownFieldsRefused, serializers.Serializer):
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=[("", "unknown"), *LANGUAGE_CHOICES], required=False)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, trim_whitespace=False)
    bouncing = serializers.BooleanField(required=False, help_text="Clear it once mail to the address works again")


class CustomerMergeSerializer(UnknownFieldsRefused, serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The profile this one is merged into (it stays; this one goes)"
    )


class OrganizationSerializer(serializers.ModelSerializer):
    customers_count = serializers.IntegerField(read_only=True, help_text="Customers in the organisation")
    domains = serializers.ListField(
        child=serializers.CharField(max_length=253),
        required=False,
        max_length=50,
        help_text="Email domains: customers with an address in one join the organisation (lower-case host "
        "names; a domain belongs to one organisation at most).",
    )

    class Meta:
        model = Organization
        fields = ["id", "name", "domains", "notes", "vip", "customers_count", "created_at", "updated_at"]
        read_only_fields = ["id", "customers_count", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness: organization_save, as a 400 naming it


class OrganizationDetailSerializer(OrganizationSerializer):
    tickets = serializers.SerializerMethodField(help_text="Its customers' tickets that the caller may see")

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "tickets"]
        read_only_fields = [*OrganizationSerializer.Meta.read_only_fields, "tickets"]

    @extend_schema_field(TicketSummarySerializer)
    def get_tickets(self, organization: Organization) -> dict:
        return TicketSummarySerializer(self.context["tickets"]).data
