"""The webhooks API's shapes (notifications.api)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from notifications.models import WEBHOOK_EVENTS, Notification, Webhook


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as the API shows it: its secret is written, never read back (the create
    answer and rotate-secret are the only places it is shown: WebhookCreatedSerializer)."""

    events = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        help_text="The signing secret; generated (64 hex digits) when not given.",
    )

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "active", "secret", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_events(self, events: list[str]) -> list[str]:
        for event in events:
            if event not in WEBHOOK_EVENTS:
                raise serializers.ValidationError(
                    _('unknown event "%(event)s"; known events: %(events)s')
                    % {"event": event, "events": ", ".join(WEBHOOK_EVENTS)}
                )
        return list(dict.fromkeys(events))


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a create: the webhook with its secret, shown this once."""

    secret = serializers.CharField(read_only=True)


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True, help_text="The new secret, shown this once.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="kind", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "response_status",
            "latency_ms",
            "last_error",
            "created_at",
            "sent_at",
            "next_attempt_at",
        ]
        read_only_fields = fields
