"""REST API of feedback: records, the summary, and survey invitations."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agents.permissions import WorksTickets
from core.api import IdFilter, IntegerFilter, IsoDateTimeFilter, SyncPagination, cached_report
from feedback.models import Feedback, SurveyInvitation, SurveyState
from feedback.serializers import (
    FeedbackSerializer,
    SummaryQuerySerializer,
    SummarySerializer,
    SurveyInvitationSerializer,
)
from feedback.services import FeedbackExists, feedback_create
from feedback.summary import csat_by_week, feedback_summary
from tickets.visibility import of_visible_tickets


class FeedbackFilter(django_filters.FilterSet):
    agent = IdFilter(field_name="agent_id")
    ticket = IdFilter(field_name="ticket_id")
    rating = IntegerFilter(field_name="overall", min_value=1, max_value=5)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Feedback
        fields = []


class FeedbackViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Feedback from surveys and integrations; agents and integrations read and send it."""

    permission_classes = [WorksTickets]
    serializer_class = FeedbackSerializer
    queryset = Feedback.objects.select_related("agent")
    filterset_class = FeedbackFilter
    ordering = ["-created_at", "-id"]
    pagination_class = SyncPagination  # page numbers, or a cursor by updated_at (docs/api.md)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return super().get_queryset()
        return of_visible_tickets(super().get_queryset(), self.request.user)

    @extend_schema(
        responses={201: FeedbackSerializer, 409: OpenApiResponse(description="The ticket has feedback already")}
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            feedback = feedback_create(**serializer.validated_data)
        except FeedbackExists as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(feedback).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[SummaryQuerySerializer], responses={200: SummarySerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def summary(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        scope = {
            "start": filters["start"],
            "end": filters["end"],
            "agent": filters.get("agent"),
            "category": filters["category"].slug if filters.get("category") else None,
        }

        def compute() -> dict:
            summary = feedback_summary(**scope)
            summary["by_week"] = csat_by_week(**scope)  # the selector the dashboard's CSAT chart reads
            return SummarySerializer(summary).data

        return cached_report(request, "feedback-summary", scope, compute)


class SurveyFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=SurveyState.choices, method="filter_state")
    ticket = IdFilter(field_name="ticket_id")
    agent = IdFilter(field_name="agent_id")

    class Meta:
        model = SurveyInvitation
        fields = []

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == SurveyState.ANSWERED:
            return queryset.filter(answered_at__isnull=False)
        if value == SurveyState.EXPIRED:
            return queryset.filter(answered_at__isnull=True, expires_at__lte=now)
        return queryset.filter(Q(answered_at__isnull=True) & Q(expires_at__gt=now))


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Survey invitations and whether they were answered or expired."""

    permission_classes = [WorksTickets]
    serializer_class = SurveyInvitationSerializer
    queryset = SurveyInvitation.objects.all()
    filterset_class = SurveyFilter
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return super().get_queryset()
        return of_visible_tickets(super().get_queryset(), self.request.user)
