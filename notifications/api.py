"""The caller's in-app (dashboard) notifications, `/api/support/notifications`; and the
outgoing webhooks with their deliveries, `/api/support/webhooks`."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agents.permissions import IsAdmin
from core.api import ConditionalUpdates
from notifications.inbox import inbox
from notifications.models import Channel, Notification, Webhook
from notifications.payloads import describe_all
from notifications.serializers import (
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSecretSerializer,
    WebhookSerializer,
)
from notifications.services import notification_mark_read
from notifications.webhooks import webhook_create, webhook_ping, webhook_redeliver, webhook_rotate_secret


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


class DeliveryFilter(django_filters.FilterSet):
    class Meta:
        model = Notification
        fields = ["status"]


class WebhookViewSet(ConditionalUpdates, viewsets.ModelViewSet):
    """Outgoing webhooks (docs/webhooks.md): admins only, who see every team's tickets that
    the deliveries carry."""

    permission_classes = [IsAdmin]
    serializer_class = WebhookSerializer
    filterset_class = None  # the deliveries' own (DeliveryFilter); the webhooks by filterset_fields
    filterset_fields = ["active"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = _saved(lambda: webhook_create(**serializer.validated_data))
        answer = WebhookCreatedSerializer(webhook).data
        answer["secret"] = webhook.secret
        return Response(answer, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        _saved(serializer.save)  # a new `secret` is set through Webhook.secret, encrypted

    @extend_schema(request=None, responses={200: WebhookSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        secret = webhook_rotate_secret(webhook=self.get_object())
        return Response({"secret": secret})

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path="test", url_name="test")
    def ping(self, request, pk=None):
        row = webhook_ping(webhook=self.get_object())
        return Response(WebhookDeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        serializer_class=WebhookDeliverySerializer,
        filterset_class=DeliveryFilter,
        ordering_fields=["id"],
        ordering=["-id"],
    )
    def deliveries(self, request, pk=None):
        webhook = self._webhook()
        rows = self.filter_queryset(_deliveries(webhook))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
        url_name="redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        webhook = self._webhook()
        delivery = get_object_or_404(_deliveries(webhook), pk=int(delivery_id))
        row = webhook_redeliver(delivery=delivery)
        return Response(WebhookDeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)

    def get_queryset(self):
        if self.action in ("deliveries", "redeliver"):  # what is listed (and filtered): rows
            return Notification.objects.filter(channel=Channel.WEBHOOK).order_by("-id")
        return Webhook.objects.all()

    def _webhook(self) -> Webhook:
        """The webhook the URL names, for the routes that list or send its rows."""
        webhook = get_object_or_404(Webhook, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, webhook)
        return webhook


def _deliveries(webhook: Webhook):
    return Notification.objects.filter(channel=Channel.WEBHOOK, recipient=webhook.recipient).order_by("-id")


def _saved(save):
    """Run a model save, answering a model validation error as a 400 naming its field."""
    try:
        return save()
    except DjangoValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else error.messages
        raise serializers.ValidationError(detail) from None
