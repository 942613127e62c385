"""The caller's in-app (dashboard) notifications: `/api/support/notifications`."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications.inbox import inbox
from notifications.models import Notification
from notifications.payloads import describe_all
from notifications.services import notification_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    # From the payload, or for SLA alerts (whose payload holds facts) looked up from the ticket.
    title = serializers.CharField(source="details.title", default="", read_only=True)
    url = serializers.CharField(source="details.url", default="", read_only=True)
    ticket_id = serializers.IntegerField(source="details.ticket_id", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "url", "ticket_id", "created_at", "read_at"]
        read_only_fields = fields


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["kind"]


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Only ever the caller's own rows (notifications.inbox), and only of tickets they may see."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        return inbox(self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return describe_all(list(page)) if page is not None else None

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)
