"""Readiness checks behind /api/health: the database, the cache and the Celery broker;
and warnings that apps register (register_warning_check), which never fail readiness.

Each check runs in its own thread so that the three run side by side and a hung
dependency is reported as failing after HEALTH_CHECK_TIMEOUT seconds instead of holding
the request (and the load balancer's probe) for the driver's own, much longer, timeout.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connections

logger = logging.getLogger(__name__)

# Threads are reused between probes; a check that hangs past its timeout keeps its
# thread until the driver gives up, so the pool has room for a few of those.
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


class CheckFailed(Exception):
    """A dependency answered, but not as a healthy one would."""


def check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                raise CheckFailed("SELECT 1 returned something else")
    finally:
        # The thread that ran the check may serve the next probe much later; do not
        # leave a connection open (or checked out of the pool) in between.
        connection.close()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise CheckFailed("a value written to the cache could not be read back")
    finally:
        cache.delete(key)


def check_broker() -> None:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # The filesystem transport "connects" to anything; what matters is the folder.
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise CheckFailed(f"broker folder {folder} is missing or not writable")
        return
    # The project's Celery app (helpdesk.celery) is the current one once Django has started;
    # core stays below the project's wiring by asking Celery for it.
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=settings.HEALTH_CHECK_TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


# Warnings: what is worth an operator's look but leaves this process ready to serve (a
# mailbox whose last poll failed, say). Apps above core register theirs from their
# AppConfig.ready(); core imports no app.
WarningCheck = Callable[[], list[str]]
WARNING_CHECKS: dict[str, WarningCheck] = {}
WARNINGS_SHOWN = 20  # per check, so that a runaway list cannot swell the probe's answer


def register_warning_check(name: str, check: WarningCheck) -> None:
    """Report what `check()` returns (a list of sentences, empty when all is well) under
    `name` in /api/health's "warnings"; it never makes the answer a 503."""
    WARNING_CHECKS[name] = check


def run_warning_checks() -> dict[str, list[str]]:
    """name -> its warnings, for the checks that found any. Run in the request's thread once
    the readiness checks passed (the database answered), one after the other: each is a
    small query. A check that fails is itself a warning, never an error."""
    found: dict[str, list[str]] = {}
    for name, check in WARNING_CHECKS.items():
        try:
            warnings = [str(warning) for warning in check()]
        except Exception as error:  # a broken warning check must not turn readiness off
            logger.warning("health warning check %s failed", name, exc_info=True)
            warnings = [f"could not check: {type(error).__name__}"]
        if len(warnings) > WARNINGS_SHOWN:
            warnings = [*warnings[:WARNINGS_SHOWN], f"and {len(warnings) - WARNINGS_SHOWN} more"]
        if warnings:
            found[name] = warnings
    return found


def run_checks() -> dict[str, str]:
    """Run every check at once; return name -> "ok" or "error: <reason>"."""
    futures = {name: _executor.submit(check) for name, check in CHECKS.items()}
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=settings.HEALTH_CHECK_TIMEOUT)
        except FutureTimeout:
            results[name] = f"error: no answer within {settings.HEALTH_CHECK_TIMEOUT:g}s"
        except Exception as error:  # any failure of a dependency is a failed check
            results[name] = f"error: {type(error).__name__}: {error}".strip()
        else:
            results[name] = "ok"
        if results[name] != "ok":
            logger.warning("health check %s failed: %s", name, results[name])
    return results
