"""Fixtures shared by every app's tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import transaction

BASE_DIR = Path(__file__).resolve().parent


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint undone at the end: one hypothesis example's rows inside one test's
    transaction (hypothesis runs every example of a test in the same transaction)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded files of a test go to its own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def closed_port() -> int:
    """A localhost port with nothing listening on it: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A localhost port that accepts connections and never says a word: a hung server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def database_url(name: str | None = None) -> str:
    """The suite's database (or another one on the same server) as a DATABASE_URL.

    The embedded server listens on a Unix socket only: its folder is the host, given as
    libpq's ``?host=`` (read by the settings and by pg_dump alike)."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    name = name or db["NAME"]
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}{password}@/{name}?host={quote(host)}"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{name}"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Environment of a production process on the suite's database, its embedded services
    (cache, broker, files) pointed into tmp_path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CACHE_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            "DEBUG",
        }
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "false",
            "SECRET_KEY": "production-like-test-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0-zyxwvu",
            "ALLOWED_HOSTS": "testserver,helpdesk.example.com",
            "HELPDESK_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": database_url(),
            "LOG_LEVEL": "ERROR",
            # The suite's receivers (Slack, webhooks) listen on loopback (core.outbound).
            "OUTGOING_URL_ALLOWLIST": "127.0.0.1,localhost",
            "METRICS_TOKEN": "production-like-metrics-token",  # probe_health sends it
        }
    )
    env.update(overrides)
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_worker(env: dict[str, str], *arguments: str) -> subprocess.Popen[str]:
    """A real Celery worker of the project, in its own process."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--without-mingle",
            "--without-gossip",
            *arguments,
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(worker: subprocess.Popen[str]) -> str:
    """SIGTERM (a warm shutdown), killing it only if it does not stop in 30 s; its output."""
    import signal

    worker.send_signal(signal.SIGTERM)
    try:
        output, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output


HEALTH_PROBE = """
import json, time, django
django.setup()
from django.test import Client
started = time.monotonic()
import os
response = Client(HTTP_AUTHORIZATION="Bearer " + os.environ["METRICS_TOKEN"]).get("/api/health")
print(json.dumps({"status": response.status_code, "body": response.json(),
                  "seconds": time.monotonic() - started}))
"""


def probe_health(env: dict[str, str]) -> dict:
    """GET /api/health in a fresh process configured by env; status, body and seconds taken."""
    result = run_python(HEALTH_PROBE, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Personas ------------------------------------------------------------------------


@pytest.fixture
def monitor(settings):
    """A monitoring system: /metrics and /api/health's details (METRICS_TOKEN)."""
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")


@pytest.fixture(autouse=True)
def _celery_may_wait_for_results():
    """Celery's "are we inside a task" flag is one global, not per thread: an eager task sets
    it while it runs and restores what it found. Two threads running eager tasks at once (the
    concurrent scan and auto-assignment tests) can restore each other's True and leave it set,
    and a later test's `.delay().get()` then refuses to wait ("Never call result.get() within
    a task"). No test runs inside a task: start each one with the flag clear."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached pages of one test never leak into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def category(db):
    from tickets.tests.factories import CategoryFactory

    return CategoryFactory(slug="general", name="General")


@pytest.fixture
def agent(db, category):
    from agents.tests.factories import AgentFactory

    return AgentFactory(user__username="agent", name="Agnes Agent", specializations=[category])


@pytest.fixture
def other_agent(db, category):
    from agents.tests.factories import AgentFactory

    return AgentFactory(user__username="other", name="Otto Other", specializations=[category])


@pytest.fixture
def supervisor(db, category):
    from agents.tests.factories import AgentFactory

    return AgentFactory(
        user__username="supervisor", name="Sue Supervisor", role="supervisor", specializations=[category]
    )


@pytest.fixture
def admin_user(db):
    from agents.tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def integration_user(db):
    from django.contrib.auth.models import Group

    from agents.roles import INTEGRATIONS_GROUP
    from agents.tests.factories import UserFactory

    user = UserFactory(username="crm-bot")
    user.groups.add(Group.objects.get_or_create(name=INTEGRATIONS_GROUP)[0])
    return user


def api_client_for(user):
    """An API client authenticating with an API token of the user, as integrations do."""
    from rest_framework.test import APIClient

    from agents import tokens

    client = APIClient()
    if user is not None:
        _row, key = tokens.issue(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def agent_api(agent):
    return api_client_for(agent.user)


@pytest.fixture
def supervisor_api(supervisor):
    return api_client_for(supervisor.user)


@pytest.fixture
def integration_api(integration_user):
    return api_client_for(integration_user)


@pytest.fixture
def anonymous_api():
    from rest_framework.test import APIClient

    return APIClient()


# --- Local stand-ins for outside services -----------------------------------------------


class FakeSlack:
    """A local HTTP server that answers like Slack's incoming webhooks, as scripted.

    `responses` is consumed one per request: (status, headers, delay seconds); when it runs
    out, `default` answers. Every request body received is kept in `received`.
    """

    def __init__(self) -> None:
        import http.server
        import json as json_module
        import threading
        import time as time_module

        self.responses: list[tuple[int, dict[str, str], float]] = []
        self.default: tuple[int, dict[str, str], float] = (200, {}, 0.0)
        self.received: list[dict] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.received.append(json_module.loads(body or b"{}"))
                status, headers, delay = fake.responses.pop(0) if fake.responses else fake.default
                time_module.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"error")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_slack(settings):
    server = FakeSlack()
    settings.SLACK_WEBHOOK_URL = server.url
    yield server
    server.close()


class LocalSMTP:
    """A real SMTP server on localhost (aiosmtpd) that keeps every message it receives.

    Set `refusal` to an SMTP reply ("451 4.7.1 Try again later", "550 5.1.1 No such user")
    to refuse every recipient with it until it is set back to None.
    """

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict] = []
        self.refusal: str | None = None
        outer = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if outer.refusal:
                    return outer.refusal
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                outer.messages.append(
                    {"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf8", errors="replace")}
                )
                return "250 Message accepted for delivery"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()
        self.port = port

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server():
    server = LocalSMTP()
    yield server
    server.close()
