"""Slow work for the graceful-shutdown tests: a WSGI wrapper around the helpdesk and a Celery task.

Not collected as tests (no test_ prefix). gunicorn loads `application` in place of
helpdesk.wsgi; the Celery worker imports this module with `-I`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import parse_qs

from helpdesk.celery import app
from helpdesk.wsgi import application as helpdesk_application


def application(environ, start_response):
    """GET /slow?seconds=N: announce the request in SLOW_REQUEST_MARKER, wait N seconds,
    then answer as the helpdesk's own /api/health/live does; any other path goes straight
    to the helpdesk."""
    if environ.get("PATH_INFO") == "/slow":
        seconds = float(parse_qs(environ.get("QUERY_STRING", ""))["seconds"][0])
        Path(os.environ["SLOW_REQUEST_MARKER"]).write_text(str(time.time()))
        time.sleep(seconds)
        environ["PATH_INFO"] = "/api/health/live"
    return helpdesk_application(environ, start_response)


@app.task(name="helpdesk.tests.shutdown_app.slow_task")
def slow_task(label: str, seconds: float, folder: str) -> str:
    """Record that `label` started, take `seconds`, record that it finished (appending, so
    a task run twice shows up twice)."""
    Path(folder, f"{label}.started").write_text(str(time.time()))
    time.sleep(seconds)
    with Path(folder, "finished.log").open("a") as log:
        log.write(f"{label}\n")
    return label
