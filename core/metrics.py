"""The helpdesk's own Prometheus metrics, served with django-prometheus's on /metrics.

Counters are incremented where things happen (in the web process, or in the worker when
Celery runs tasks there). The SLA and outbox figures are read from the database at scrape
time instead, because the scan and the deliveries run in worker processes whose memory
the web process's /metrics cannot see; the database is the one place all processes share.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

tickets_created = Counter("helpdesk_tickets_created", "Tickets created, by channel", ["channel"])
notifications_delivered = Counter(
    "helpdesk_notification_deliveries", "Notification delivery attempts, by channel and outcome", ["channel", "status"]
)


class DatabaseCollector:
    """SLA violations by kind, notifications by channel and status, oldest pending
    notification, and the last scan. Cached for CACHE_SECONDS so that several scrapers
    cost one set of queries."""

    CACHE_SECONDS = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._cached_at = 0.0

    def describe(self) -> list[Metric]:
        # Without describe() the registry would call collect() on registration, querying
        # the database while Django is still starting.
        return []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._cached_at > self.CACHE_SECONDS:
                try:
                    self._cached = self._read()
                except Exception:  # a scrape must answer even while the database is down
                    logger.warning("database metrics unavailable", exc_info=True)
                    self._cached = []
                self._cached_at = time.monotonic()
            yield from self._cached

    def _read(self) -> list[Metric]:
        from django.db.models import Count, Min
        from django.utils import timezone

        from notifications.models import DELIVERABLE, Notification
        from sla.models import SLAScanRun, SLAViolation

        violations = CounterMetricFamily("helpdesk_sla_violations", "SLA violations recorded, by kind", labels=["kind"])
        for row in SLAViolation.objects.order_by().values("kind").annotate(n=Count("id")):
            violations.add_metric([row["kind"]], row["n"])
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
        metrics: list[Metric] = [violations, notifications, age]
        last = SLAScanRun.objects.order_by("-started_at").first()
        if last is not None:
            duration = GaugeMetricFamily("helpdesk_sla_scan_duration_seconds", "Duration of the last SLA scan")
            duration.add_metric([], last.duration_ms / 1000)
            started = GaugeMetricFamily("helpdesk_sla_scan_last_run_timestamp_seconds", "When the last SLA scan ran")
            started.add_metric([], last.started_at.timestamp())
            metrics += [duration, started]
        return metrics


_registered = False


def register_database_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(DatabaseCollector())
        _registered = True
