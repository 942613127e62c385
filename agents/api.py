from __future__ import annotations

from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from agents.load import open_load
from agents.models import Agent, Team
from agents.permissions import AgentsReadSupervisorsWrite
from agents.serializers import AgentSerializer, TeamSerializer
from agents.services import AgentUserTaken, agent_create, agent_update, team_create, team_update
from core.api import ConditionalUpdates
from core.refusals import Refusal


class AgentViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Support agents: everyone who works tickets reads them; supervisors and admins write."""

    permission_classes = [AgentsReadSupervisorsWrite]
    serializer_class = AgentSerializer
    filterset_fields = ["status", "role"]
    ordering_fields = ["name", "created_at", "max_tickets"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        return (
            Agent.objects.select_related("user")
            .prefetch_related("specializations", "teams")
            .annotate(open_tickets=open_load())
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


class TeamInUse(Refusal):
    """The team is still named by something that cannot lose it (an SLA policy)."""


@extend_schema_view(
    destroy=extend_schema(
        responses={204: None, 409: OpenApiResponse(description="SLA policies are scoped to the team")}
    )
)
class TeamViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Teams: everyone who works tickets reads them; supervisors and admins write. Deleting a
    team leaves its tickets, categories and mailboxes without a team."""

    permission_classes = [AgentsReadSupervisorsWrite]
    serializer_class = TeamSerializer
    filterset_fields = ["restricted"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        return Team.objects.prefetch_related("members", "categories", "mailboxes")

    def perform_create(self, serializer):
        team = team_create(**serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_update(self, serializer):
        team = team_update(team=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=team.pk)

    def perform_destroy(self, instance: Team) -> None:
        try:
            instance.delete()
        except ProtectedError as error:
            raise TeamInUse(
                _("SLA policies are scoped to this team; change or delete them before deleting it.")
            ) from error
