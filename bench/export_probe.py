"""One queue export in a process of its own: wall time, rows, bytes, statements and peak RSS
growth (JSON on stdout).

`python -m bench.export_probe <username> <query string>`: the export runs through the real
view and middleware (Django's test client, the agent signed in), its streamed content
consumed piece by piece as a server would send it, nothing kept. `first_rows_s`: until the
first piece of rows (CHUNK of them) arrived.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    username, query = sys.argv[1], sys.argv[2]
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "localhost")
    client = Client(HTTP_HOST=host)
    client.force_login(get_user_model().objects.get(username=username))
    connection.ensure_connection()
    # Warm: imports, translations, prepared statements (read to its end, which frees the lock).
    b"".join(client.get("/agent/export.csv?view=all&q=0", secure=settings.SECURE_SSL_REDIRECT).streaming_content)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = size = 0
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(f"/agent/export.csv?{query}", secure=settings.SECURE_SSL_REDIRECT)
        assert response.status_code == 200, response.status_code
        first = None
        for piece in response.streaming_content:
            if first is None and rows:  # the first piece with rows (the header comes alone)
                first = time.perf_counter() - started
            rows += piece.count(b"\r\n")
            size += len(piece)
        wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "wall_s": wall,
                "first_rows_s": first,
                "rows": rows - 1,  # the header
                "megabytes": size / 1e6,
                "statements": len(queries.captured_queries),
                "rss_before_mb": baseline / 1024,
                "peak_rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline) / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
