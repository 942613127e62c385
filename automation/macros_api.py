"""/api/support/macros: agents list the macros they may use, write their own (supervisors and
admins the shared ones), preview one on a ticket and apply it (automation.macros)."""

from __future__ import annotations

import django_filters
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from agents.permissions import IsAgent
from agents.roles import actor_for, agent_for, is_supervisor
from automation.macros import macro_apply, macro_preview, macros_for, offered_macro
from automation.macros_serializers import (
    MacroAppliedSerializer,
    MacroApplySerializer,
    MacroPreviewQuerySerializer,
    MacroPreviewSerializer,
    MacroSerializer,
)
from automation.models import Macro
from core.api import BooleanFilter, ConditionalUpdates, IdFilter
from tickets import selectors
from tickets.serializers import TicketDetailSerializer

CLOSED = OpenApiResponse(description="The ticket is closed: it takes no macro")
LIST_PARAMETERS = [
    OpenApiParameter("ticket", int, description="A ticket's id: the macros of its category first"),
    OpenApiParameter("q", str, description="Words in the name or the reply"),
]


def _ticket_id(raw: str, field: str = "ticket") -> int:
    serializer = MacroPreviewQuerySerializer(data={"ticket": raw})
    if not serializer.is_valid():
        raise ValidationError({field: serializer.errors["ticket"]})
    return serializer.validated_data["ticket"]


class WritesOwnOrShared(IsAgent):
    """Agents; a macro is changed by its owner, a shared one by supervisors and admins (asked
    before the body is read: a refused caller is told so, whatever they sent)."""

    message = gettext_lazy(
        "Macros are for agents; a shared macro is changed by supervisors and admins, a personal one by its owner."
    )

    def has_object_permission(self, request, view, macro) -> bool:
        if request.method in SAFE_METHODS or view.action in ("apply", "preview"):
            return True
        if macro.owner_id is None:
            return is_supervisor(request.user)
        agent = agent_for(request.user)
        return agent is not None and agent.pk == macro.owner_id


class MacroFilter(django_filters.FilterSet):
    """What Django admin's list of macros filters by (shared, team, category, active)."""

    shared = BooleanFilter(field_name="owner", lookup_expr="isnull", help_text="true: shared; false: personal")
    team = IdFilter(field_name="team_id", help_text="A team's id")
    category = django_filters.CharFilter(field_name="category__slug", max_length=50, help_text="A category's slug")
    active = BooleanFilter()

    class Meta:
        model = Macro
        fields = []


@extend_schema_view(
    list=extend_schema(parameters=LIST_PARAMETERS),
    destroy=extend_schema(responses={204: None}),
)
class MacroViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Macros: a reply and actions applied to a ticket in one step. Agents see the shared ones,
    their teams' and their own; supervisors and admins also every shared one (to manage them)."""

    permission_classes = [WritesOwnOrShared]
    serializer_class = MacroSerializer
    # `q` and `ticket` are read by get_queryset; `ticket`'s order (its category's first)
    # holds unless `ordering` is given.
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = MacroFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return Macro.objects.none()
        user = self.request.user
        agent = agent_for(user)
        scope = Q(pk__in=macros_for(agent).values("pk"))
        if agent is not None:
            scope |= Q(owner=agent)  # their own, active or not
        if is_supervisor(user):
            scope |= Q(owner=None)  # every shared one, to manage it
        macros = (
            Macro.objects.filter(scope)
            .select_related("owner", "team", "category")
            .prefetch_related("actions")
            .order_by("name", "id")
        )
        if self.action != "list":
            return macros
        query = self.request.query_params.get("q", "").replace("\x00", "").strip()[:100]
        if query:
            macros = macros.filter(Q(name__icontains=query) | Q(reply__icontains=query))
        raw = self.request.query_params.get("ticket")
        if raw is not None:
            found = selectors.tickets_for_user(user).filter(pk=_ticket_id(raw)).values_list("category_id", flat=True)
            if not found:
                raise ValidationError({"ticket": [_("No such ticket.")]})
            first = Case(When(category_id=found[0], then=Value(0)), default=Value(1), output_field=IntegerField())
            macros = macros.annotate(category_first=first).order_by("category_first", "name", "id")
        return macros

    def _writable(self, *, shared: bool) -> None:
        if shared and not is_supervisor(self.request.user):
            raise PermissionDenied(_("Only supervisors and admins write shared macros."))
        if not shared and agent_for(self.request.user) is None:
            raise ValidationError({"shared": [_("Only an agent with a profile has macros of their own.")]})

    def perform_create(self, serializer):
        shared = serializer.validated_data.get("shared", False)
        self._writable(shared=shared)
        serializer.save_macro(owner=None if shared else agent_for(self.request.user))

    def perform_update(self, serializer):
        macro = serializer.instance
        self._writable(shared=macro.owner_id is None)
        shared = serializer.validated_data.get("shared", macro.owner_id is None)
        self._writable(shared=shared)
        serializer.save_macro(owner=None if shared else agent_for(self.request.user))

    def perform_destroy(self, macro):
        self._writable(shared=macro.owner_id is None)
        macro.delete()

    @extend_schema(
        parameters=[OpenApiParameter("ticket", int, required=True, description="The ticket to preview it on")],
        responses={200: MacroPreviewSerializer},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """What applying the macro to the ticket would do; nothing is written."""
        ticket_id = _ticket_id(request.query_params.get("ticket", ""))
        ticket = selectors.get_ticket_for_user(request.user, ticket_id, prefetch=False)
        agent = agent_for(request.user)
        macro = offered_macro(agent, pk, ticket)
        preview = macro_preview(macro=macro, ticket=ticket, agent=agent, agent_name=actor_for(request.user).name)
        return Response(
            {
                "macro": macro.pk,
                "reply": preview["reply"],
                "changes": preview["changes"],
                "refused": preview["refused"],
            }
        )

    @extend_schema(request=MacroApplySerializer, responses={200: MacroAppliedSerializer, 409: CLOSED})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply the macro to the ticket in one step: its reply (or `reply` as edited) as the
        caller's public reply, then its actions as the caller."""
        serializer = MacroApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = selectors.get_ticket_for_user(request.user, data["ticket"], prefetch=False)
        macro = offered_macro(agent_for(request.user), pk, ticket)
        applied = macro_apply(macro=macro, ticket=ticket, actor=actor_for(request.user), reply_text=data.get("reply"))
        # The ticket as changed, even when the macro moved it to a team the caller is not in.
        changed = selectors.changed_ticket_for_user(request.user, ticket.pk)
        return Response(
            {
                "macro": macro.pk,
                "message": applied.message.pk if applied.message is not None else None,
                "done": applied.done,
                "skipped": applied.skipped,
                "ticket": TicketDetailSerializer(changed, context={"request": request}).data,
            },
            status=status.HTTP_200_OK,
        )
