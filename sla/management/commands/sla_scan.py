from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sla.scan import sla_scan


class Command(BaseCommand):
    help = "Run one SLA scan now: record new violations and at-risk warnings, queue their notifications."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_scan()
        self.stdout.write(
            f"SLA scan at {result.now:%Y-%m-%d %H:%M:%S} UTC: {result.violations} new violations, "
            f"{result.warnings} new at-risk warnings, {result.notifications} notifications queued "
            f"({result.duration_ms:.1f} ms)."
        )
