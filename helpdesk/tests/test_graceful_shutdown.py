"""SIGTERM to gunicorn, as Kubernetes and docker send it, loses no request in flight.

A real gunicorn master with the project's gunicorn.conf.py serves the helpdesk on a free
loopback port; the slow request is helpdesk.tests.shutdown_app's /slow. (The Celery side,
SIGTERM to a worker with tasks running and queued, is in test_celery_worker.py.)
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import BASE_DIR, production_env

pytestmark = pytest.mark.services

PORTS = range(18100, 18200)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100-18199")


@dataclass
class Gunicorn:
    process: subprocess.Popen[str]
    port: int
    marker: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        output, _ = self.process.communicate(timeout=30)
        return output


@dataclass
class Answer:
    status: int | None = None
    body: dict = field(default_factory=dict)
    error: Exception | None = None
    finished_at: float = 0.0


def get_in_background(url: str) -> tuple[threading.Thread, Answer]:
    answer = Answer()

    def fetch() -> None:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
                answer.status = response.status
                answer.body = json.loads(response.read())
        except Exception as error:  # the test looks at what went wrong
            answer.error = error
        answer.finished_at = time.monotonic()

    thread = threading.Thread(target=fetch, daemon=True)
    thread.start()
    return thread, answer


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def start_gunicorn(tmp_path) -> Iterator:
    started: list[Gunicorn] = []

    def start(**settings: str) -> Gunicorn:
        port = free_port()
        marker = tmp_path / f"slow-request-{port}"
        env = production_env(
            tmp_path,
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            ALLOWED_HOSTS="127.0.0.1",
            SLOW_REQUEST_MARKER=str(marker),
            LOG_LEVEL="INFO",
            **settings,
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "helpdesk.tests.shutdown_app:application"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        server = Gunicorn(process, port, marker)
        started.append(server)
        assert wait_for(lambda: answers(server.url("/api/health/live")) or process.poll() is not None, 60)
        assert process.poll() is None, server.stop()
        return server

    yield start
    for server in started:
        server.stop()


def test_sigterm_lets_a_request_in_flight_finish_then_gunicorn_exits_cleanly(start_gunicorn):
    server = start_gunicorn(GUNICORN_GRACEFUL_TIMEOUT="30")
    thread, answer = get_in_background(server.url("/slow?seconds=3"))
    assert wait_for(server.marker.exists), "the slow request never reached the app"

    server.process.send_signal(signal.SIGTERM)
    signalled_at = time.monotonic()
    thread.join(timeout=60)
    exit_code = server.process.wait(timeout=60)
    exited_at = time.monotonic()

    assert answer.error is None, answer.error
    assert answer.status == 200
    assert answer.body == {"status": "ok"}
    # The answer came after the signal (the request really was in flight), and the master
    # left only once it had been sent.
    assert answer.finished_at > signalled_at + 1
    assert exited_at >= answer.finished_at
    assert exit_code == 0, server.stop()


def test_a_request_longer_than_the_graceful_timeout_is_cut_so_the_grace_period_must_exceed_it(start_gunicorn):
    # Why deploy/k8s/web.yaml's terminationGracePeriodSeconds is set above
    # GUNICORN_GRACEFUL_TIMEOUT: past it gunicorn itself gives up on the request.
    server = start_gunicorn(GUNICORN_GRACEFUL_TIMEOUT="1")
    thread, answer = get_in_background(server.url("/slow?seconds=8"))
    assert wait_for(server.marker.exists), "the slow request never reached the app"

    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)
    thread.join(timeout=30)

    assert answer.status is None and answer.error is not None
    assert time.monotonic() - started < 6
