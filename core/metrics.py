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
from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import Metric

logger = logging.getLogger(__name__)

tickets_created = Counter("helpdesk_tickets_created", "Tickets created, by channel", ["channel"])
notifications_delivered = Counter(
    "helpdesk_notification_deliveries", "Notification delivery attempts, by channel and outcome", ["channel", "status"]
)


# The apps that own the figures read from the database (notifications: the outbox; sla:
# violations and scans) add a reader here from their AppConfig.ready(): core knows no app.
DatabaseMetricsReader = Callable[[], list[Metric]]
database_metrics_readers: list[DatabaseMetricsReader] = []


def register_database_metrics(reader: DatabaseMetricsReader) -> None:
    """Add a reader of figures to export at scrape time (once per reader)."""
    if reader not in database_metrics_readers:
        database_metrics_readers.append(reader)


class DatabaseCollector:
    """The figures every registered reader returns (SLA violations by kind, notifications
    by channel and status, oldest pending notification, the last scan). Cached for
    CACHE_SECONDS so that several scrapers cost one set of queries."""

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
        metrics: list[Metric] = []
        for reader in database_metrics_readers:
            metrics += reader()
        return metrics


_registered = False


def register_database_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(DatabaseCollector())
        _registered = True
