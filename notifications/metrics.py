"""The outbox's figures for /metrics, read from the database at scrape time
(registered with core.metrics from NotificationsConfig.ready())."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from notifications.models import DELIVERABLE, Notification


def outbox_metrics() -> list[Metric]:
    notifications = GaugeMetricFamily(
        "helpdesk_notifications", "Notifications in the outbox, by channel and status", labels=["channel", "status"]
    )
    for row in Notification.objects.order_by().values("channel", "status").annotate(n=Count("id")):
        notifications.add_metric([row["channel"], row["status"]], row["n"])
    oldest = Notification.objects.filter(status__in=DELIVERABLE).aggregate(oldest=Min("created_at"))["oldest"]
    age = GaugeMetricFamily(
        "helpdesk_notification_oldest_pending_age_seconds",
        "Age of the oldest notification not yet delivered (0: none waiting)",
    )
    age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
    return [notifications, age]
