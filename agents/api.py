from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from agents.load import open_load
from agents.models import Agent
from agents.permissions import AgentsReadSupervisorsWrite
from agents.serializers import AgentSerializer
from agents.services import AgentUserTaken, agent_create, agent_update


class AgentViewSet(viewsets.ModelViewSet):
    """Support agents: everyone who works tickets reads them; supervisors and admins write."""

    permission_classes = [AgentsReadSupervisorsWrite]
    serializer_class = AgentSerializer
    filterset_fields = ["status", "role"]
    ordering_fields = ["name", "created_at", "max_tickets"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Agent.objects.select_related("user").prefetch_related("specializations").annotate(open_tickets=open_load())
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        username = data.pop("user", {}).get("username")
        try:
            agent = agent_create(username=username, **data)
        except AgentUserTaken as error:
            raise ValidationError({"username": [str(error)]}) from error
        serializer.instance = self.get_queryset().get(pk=agent.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "user" in data:
            raise ValidationError({"username": [_("The linked user cannot be changed.")]})
        agent = agent_update(agent=serializer.instance, **data)
        serializer.instance = self.get_queryset().get(pk=agent.pk)
