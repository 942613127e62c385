from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from automation.timerules import run_time_rules


class Command(BaseCommand):
    help = "Run the time rules now: record the tickets each active rule matches, apply a batch of them."

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_time_rules()
        passed, applied = result.passed, result.applied
        self.stdout.write(
            f"Time rules at {passed.now:%Y-%m-%d %H:%M:%S} UTC: {passed.rules} active rules, "
            f"{passed.firings} new firings ({passed.duration_ms:.1f} ms); "
            f"{applied.applied} applied, {applied.skipped} skipped (the ticket changed), "
            f"{applied.failed} failed" + (", more pending for the next run." if applied.left else ".")
        )
        for name, count in passed.fired.items():
            self.stdout.write(f"  {name}: {count}")
