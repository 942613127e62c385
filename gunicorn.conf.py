"""Gunicorn settings for the web process (`gunicorn -c gunicorn.conf.py helpdesk.wsgi`)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request slower than this is killed; SIGTERM gives running requests graceful_timeout
# seconds to finish before the workers are stopped, so a deploy drops no request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The app writes one JSON line per request, with its request id (core.logging).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files on tmpfs: a worker blocked on a slow disk is not mistaken for a hung one.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108  # nosec B108  # tmpfs by design

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server) -> None:
    # Metrics of a previous run would be summed into this one's.
    if _metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
        Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if _metrics_dir:
        # Imported only when metrics are shared between workers (PROMETHEUS_MULTIPROC_DIR).
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    # Load the Celery broker's transport now (about 0.1 s of imports, no connection made):
    # otherwise the first request of each worker that queues a task pays for it.
    from helpdesk.celery import app

    try:
        app.connection_for_write().transport  # noqa: B018  # the property loads the transport
    except Exception:  # a misconfigured broker shows in the request that uses it, not here
        worker.log.exception("could not load the Celery broker transport")
