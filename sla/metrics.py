"""The SLA figures for /metrics, read from the database at scrape time
(registered with core.metrics from SlaConfig.ready())."""

from __future__ import annotations

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from sla.models import SLAScanRun, SLAViolation


def sla_metrics() -> list[Metric]:
    violations = CounterMetricFamily("helpdesk_sla_violations", "SLA violations recorded, by kind", labels=["kind"])
    for row in SLAViolation.objects.order_by().values("kind").annotate(n=Count("id")):
        violations.add_metric([row["kind"]], row["n"])
    metrics: list[Metric] = [violations]
    last = SLAScanRun.objects.order_by("-started_at").first()
    if last is not None:
        duration = GaugeMetricFamily("helpdesk_sla_scan_duration_seconds", "Duration of the last SLA scan")
        duration.add_metric([], last.duration_ms / 1000)
        started = GaugeMetricFamily("helpdesk_sla_scan_last_run_timestamp_seconds", "When the last SLA scan ran")
        started.add_metric([], last.started_at.timestamp())
        metrics += [duration, started]
    return metrics
