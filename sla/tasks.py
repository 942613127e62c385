from __future__ import annotations

from celery import shared_task

from sla.scan import sla_scan


@shared_task(ignore_result=True)
def scan_sla() -> dict[str, int]:
    """Beat runs this every SLA_SCAN_INTERVAL_SECONDS; safe to run twice or at once."""
    result = sla_scan()
    return {"violations": result.violations, "warnings": result.warnings, "notifications": result.notifications}
