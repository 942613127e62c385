"""REST API of time rules under /api/support/automations (issue 23, point 5)."""

from __future__ import annotations

from rest_framework import viewsets

from agents.permissions import AgentsReadSupervisorsWrite
from automation.models import TimeRule
from automation.timerules_serializers import TimeRuleSerializer
from core.api import ConditionalUpdates


class TimeRuleViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Time rules: everyone who works tickets reads them; supervisors and admins write (as
    SLA policies). A rule's conditions and actions are written as a whole with it."""

    permission_classes = [AgentsReadSupervisorsWrite]
    serializer_class = TimeRuleSerializer
    queryset = TimeRule.objects.prefetch_related("conditions", "actions")
    filterset_fields = ["active", "clock", "business_hours"]
    ordering_fields = ["position", "name", "created_at"]
    ordering = ["position", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]


__all__ = ["TimeRuleViewSet"]
