"""REST API of the SLA engine under /api/support/sla."""

from __future__ import annotations

import logging

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.permissions import AgentsReadSupervisorsWrite, WorksTickets
from core.api import ConditionalUpdates, IdFilter, IsoDateTimeFilter, cached_report
from sla.compliance import compliance_by_day, compliance_report
from sla.models import SLAPolicy, SLAViolation
from sla.queries import violations_of
from sla.scan import may_record, sla_scan
from sla.serializers import (
    ComplianceQuerySerializer,
    ComplianceReportSerializer,
    SLACheckResultSerializer,
    SLACheckSerializer,
    SLAPolicySerializer,
    SLAViolationSerializer,
)
from tickets import selectors
from tickets.visibility import of_visible_tickets

logger = logging.getLogger(__name__)


class SLAPolicyViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """SLA policies: everyone who works tickets reads them; supervisors and admins write."""

    permission_classes = [AgentsReadSupervisorsWrite]
    serializer_class = SLAPolicySerializer
    queryset = SLAPolicy.objects.select_related("category")
    filterset_fields = ["priority", "active", "team", "organization", "channel"]
    ordering_fields = ["name", "priority", "created_at"]
    ordering = ["priority", "name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def perform_destroy(self, instance: SLAPolicy) -> None:
        # Tickets keep their due times; the violations keep their record (policy set to null).
        instance.delete()


class ViolationFilter(django_filters.FilterSet):
    ticket = IdFilter(field_name="ticket_id")
    agent = IdFilter(field_name="ticket__assigned_agent_id")
    detected_after = IsoDateTimeFilter(field_name="detected_at", lookup_expr="gte")
    detected_before = IsoDateTimeFilter(field_name="detected_at", lookup_expr="lt")

    class Meta:
        model = SLAViolation
        fields = ["kind"]


class SLAViolationViewSet(viewsets.ReadOnlyModelViewSet):
    """Violations of the tickets the caller may see (not a restricted team's they are
    outside of: tickets.visibility)."""

    permission_classes = [WorksTickets]
    serializer_class = SLAViolationSerializer
    queryset = SLAViolation.objects.select_related("policy")
    filterset_class = ViolationFilter
    ordering_fields = ["detected_at", "due_at"]
    ordering = ["-detected_at", "-id"]

    def get_queryset(self):
        violations = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return violations
        return of_visible_tickets(violations, self.request.user)


class SLACheckView(APIView):
    """Check one ticket now: record what is newly overdue, answer with all its violations."""

    permission_classes = [WorksTickets]

    @extend_schema(
        request=SLACheckSerializer,
        responses={
            200: SLACheckResultSerializer,
            404: OpenApiResponse(description="No such ticket"),
            503: OpenApiResponse(description="The check failed; nothing is known about the ticket's SLA"),
        },
    )
    def post(self, request):
        serializer = SLACheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = selectors.get_ticket_sla_state_for_user(request.user, serializer.validated_data["ticket_id"])
        now = timezone.now()
        violations = violations_of(ticket)
        new_violations = 0
        if may_record(ticket, now, recorded={v.kind for v in violations}):
            try:
                result = sla_scan(now=now, ticket_id=ticket.pk)
            except Exception:  # logged by sla_scan; never answered as "no violation"
                return Response(
                    {"detail": _("The SLA check failed; try again. Nothing is known about this ticket's SLA.")},
                    status=status.HTTP_503_SERVICE_UNAVAILABLE,
                )
            new_violations = result.violations
            if new_violations:
                violations = violations_of(ticket)
        data = {
            "ticket_id": ticket.pk,
            "policy": ticket.sla_policy.name if ticket.sla_policy else None,
            "first_response_due_at": ticket.first_response_due_at,
            "resolution_due_at": ticket.resolution_due_at,
            "new_violations": new_violations,
            "violations": violations,
        }
        return Response(SLACheckResultSerializer(data).data)


class ComplianceView(APIView):
    permission_classes = [WorksTickets]

    @extend_schema(parameters=[ComplianceQuerySerializer], responses={200: ComplianceReportSerializer})
    def get(self, request):
        query = ComplianceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        scope = {
            "start": filters["start"],
            "end": filters["end"],
            "priority": filters.get("priority"),
            "category": filters["category"].slug if filters.get("category") else None,
            "agent": filters.get("agent"),
        }

        def compute() -> dict:
            report = compliance_report(**scope)
            report["by_day"] = compliance_by_day(**scope)  # the selector the dashboard's daily chart reads
            return ComplianceReportSerializer(report).data

        return cached_report(request, "sla-compliance", scope, compute)


__all__ = ["SLACheckView", "SLAPolicyViewSet", "SLAViolationViewSet"]
