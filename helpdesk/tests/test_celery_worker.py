"""A real Celery worker process: it consumes the queue and stops cleanly on SIGTERM."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from celery import Celery
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from conftest import production_env, start_worker, stop_worker
from core.tasks import clear_expired_sessions


@pytest.fixture
def worker_broker(tmp_path):
    """The broker of this test run (Redis when configured, else the filesystem transport)."""
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = tmp_path / "broker"
        folder.mkdir()
        return {"CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(folder)}, {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
        }
    return {"CELERY_BROKER_URL": settings.CELERY_BROKER_URL}, {}


def test_a_real_worker_runs_a_task_and_exits_cleanly_on_sigterm(tmp_path, worker_broker):
    broker_env, transport_options = worker_broker
    queue = f"test-{uuid.uuid4().hex}"  # never shared with another worker on the same broker
    results = tmp_path / "results"
    results.mkdir()
    env = production_env(tmp_path, **broker_env, CELERY_RESULT_BACKEND=f"file://{results}", LOG_LEVEL="INFO")
    worker = start_worker(env, "-Q", queue, "--concurrency=1", "--without-heartbeat", "--pool=prefork")
    try:
        client = Celery(broker=env["CELERY_BROKER_URL"], backend=f"file://{results}")
        client.conf.broker_transport_options = transport_options

        result = client.send_task("helpdesk.tasks.ping", queue=queue)

        # Eager tasks run earlier in this process may leave Celery believing it is inside a
        # task, which makes get() refuse to block; this test is not inside one.
        assert result.get(timeout=60, disable_sync_subtasks=False) == "pong"
    finally:
        output = stop_worker(worker)
    assert worker.returncode == 0, output
    assert "Warm shutdown" in output
    assert not any(line for line in output.splitlines() if "Traceback" in line), output


def test_sigterm_finishes_the_running_task_and_loses_none_of_the_queued_ones(tmp_path, worker_broker):
    """A warm shutdown (SIGTERM, what Kubernetes sends) completes the task in progress; the
    tasks it has not started stay on the broker (late acknowledgement, prefetch of one) and
    the next worker runs them: every task exactly once, none lost, none cut off."""
    broker_env, transport_options = worker_broker
    queue = f"test-{uuid.uuid4().hex}"
    results = tmp_path / "results"
    results.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = production_env(tmp_path, **broker_env, CELERY_RESULT_BACKEND=f"file://{results}", LOG_LEVEL="INFO")
    arguments = ("-Q", queue, "--concurrency=1", "--without-heartbeat", "--pool=prefork")
    arguments += ("-I", "helpdesk.tests.shutdown_app")
    client = Celery(broker=env["CELERY_BROKER_URL"], backend=f"file://{results}")
    client.conf.broker_transport_options = transport_options
    first = start_worker(env, *arguments)
    try:

        def send(label: str):
            return client.send_task("helpdesk.tests.shutdown_app.slow_task", args=[label, 3, str(work)], queue=queue)

        # "running" goes first and alone: the filesystem broker of the embedded run orders
        # messages sent within the same millisecond by name, not by when they were sent.
        sent = {"running": send("running")}
        assert wait_for(lambda: (work / "running.started").exists() or first.poll() is not None, 60)
        assert first.poll() is None, first.communicate()[0]
        sent.update({label: send(label) for label in ("queued-1", "queued-2")})
    finally:
        output = stop_worker(first)

    assert first.returncode == 0, output
    assert "Warm shutdown" in output
    # The task that was running when the signal came finished before the worker left, and
    # so did anything else it had started: no task was cut off half-way.
    finished_first = (work / "finished.log").read_text().splitlines()
    assert finished_first[0] == "running"
    assert sent["running"].get(timeout=10, disable_sync_subtasks=False) == "running"
    started_first = sorted(path.name.removesuffix(".started") for path in work.glob("*.started"))
    assert started_first == sorted(finished_first)

    # Whatever the first worker had not started is still queued for the next one.
    second = start_worker(env, *arguments)
    try:
        for label in ("queued-1", "queued-2"):
            assert sent[label].get(timeout=60, disable_sync_subtasks=False) == label
    finally:
        output = stop_worker(second)
    assert second.returncode == 0, output
    assert sorted((work / "finished.log").read_text().splitlines()) == ["queued-1", "queued-2", "running"]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db
def test_clearing_sessions_removes_only_expired_ones():
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(seconds=1))
    Session.objects.create(session_key="current", session_data="", expire_date=now + timedelta(days=1))

    deleted = clear_expired_sessions.delay().get()

    assert deleted == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]


def test_beat_schedules_only_tasks_that_exist():
    from helpdesk.celery import app

    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_celery_is_configured_for_at_least_once_delivery():
    from helpdesk.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit > 0
