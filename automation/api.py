"""REST API of triggers: /api/support/triggers."""

from __future__ import annotations

from rest_framework import viewsets

from agents.permissions import AgentsReadSupervisorsWrite
from automation.models import Trigger
from automation.serializers import TriggerSerializer
from core.api import ConditionalUpdates


class TriggerViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Triggers: everyone who works tickets reads them; supervisors and admins write. Conditions
    and actions are written as a whole: a PATCH that names `conditions` replaces them all."""

    permission_classes = [AgentsReadSupervisorsWrite]
    serializer_class = TriggerSerializer
    queryset = Trigger.objects.prefetch_related("conditions", "actions")
    filterset_fields = ["active"]
    ordering_fields = ["position", "name", "created_at"]
    ordering = ["position", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]
