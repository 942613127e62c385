"""The helpdesk's own Prometheus counters, served with django-prometheus's on /metrics."""

from __future__ import annotations

from prometheus_client import Counter

tickets_created = Counter("helpdesk_tickets_created", "Tickets created, by channel", ["channel"])
notifications_delivered = Counter(
    "helpdesk_notifications", "Notification delivery attempts, by channel and outcome", ["channel", "status"]
)
