"""One SLA scan in a process of its own: wall time, SQL statements, peak RSS (JSON on stdout).

`python -m bench.scan_probe <iso-now>`: the scan runs exactly as beat runs it (`sla_scan`),
with Django's query capture counting the statements it sends.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.scan import sla_scan

    now = datetime.fromisoformat(sys.argv[1])
    connection.ensure_connection()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = sla_scan(now=now)
        wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "wall_s": wall,
                "statements": len([q for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_scan_mb": baseline / 1024,
                "violations": result.violations,
                "warnings": result.warnings,
                "notifications": result.notifications,
                "scan_id": str(result.scan_id),
            }
        )
    )


if __name__ == "__main__":
    main()
