"""Acceptance 4 of the hardening issue: failing dependencies, and nothing lost.

Each fault is real: Redis and the broker at ports where nothing listens, a PostgreSQL backend
killed with pg_terminate_backend while it serves a request, a local Slack that answers too
late, a local SMTP server that refuses. The outbox tests finish by counting what the local
Slack and SMTP server received: every row delivered once, none twice.
"""

from __future__ import annotations

import json
import logging
import runpy
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from agents import tokens
from conftest import BASE_DIR, database_url, production_env, run_python
from helpdesk.celery import beat_schedule
from knowledge.tests.factories import ArticleFactory
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from notifications.tasks import deliver_due_notifications
from notifications.tests.factories import NotificationFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

NEW_TICKET = {
    "subject": "Invoice PDF is empty",
    "description": "The invoice for March downloads as an empty file.",
    "customer_email": "jane@example.org",
    "customer_name": "Jane Doe",
    "category": "general",
}


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5


# --- Redis unavailable ------------------------------------------------------------------


@pytest.fixture
def redis_down(settings, closed_port, monkeypatch):
    """The production cache settings (helpdesk/settings.py itself), with Redis at a closed port."""
    monkeypatch.setenv("CACHE_URL", f"redis://127.0.0.1:{closed_port}/0")
    production = runpy.run_path(str(BASE_DIR / "helpdesk" / "settings.py"))
    settings.CACHES = production["CACHES"]
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = production.get("DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS", False)
    assert settings.CACHES["default"]["LOCATION"].endswith(f":{closed_port}/0")


def cache_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("django_redis") and r.levelno >= logging.ERROR]


@pytest.mark.django_db
def test_with_redis_down_pages_and_the_api_serve_from_the_database(redis_down, client, agent, category, caplog):
    article = ArticleFactory(title="Reset a forgotten password", content="Click the link we email, **then** log in.")
    ticket = TicketFactory(subject="Printer on fire", category=category, status="open")
    _row, token = tokens.issue(agent.user)
    caplog.set_level(logging.WARNING)

    home = client.get("/")
    kb = client.get("/kb/")
    page = client.get(f"/kb/{article.slug}")
    public_api = client.get("/api/support/articles")
    agent_api = client.get("/api/support/tickets", HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(agent.user)
    queue = client.get("/agent/", {"view": "all"})

    assert home.status_code == 200
    assert kb.status_code == 200 and "Reset a forgotten password" in kb.content.decode()
    assert page.status_code == 200 and "<strong>then</strong>" in page.content.decode()
    assert public_api.status_code == 200
    assert [a["title"] for a in public_api.json()["results"]] == ["Reset a forgotten password"]
    assert agent_api.status_code == 200
    assert [t["id"] for t in agent_api.json()["results"]] == [ticket.pk]
    assert queue.status_code == 200 and "Printer on fire" in queue.content.decode()
    # Every one of those went to Redis first, failed, and said so in the log.
    assert cache_errors(caplog)
    assert "Connection refused" in caplog.text or "Error 111" in caplog.text


@pytest.mark.django_db
def test_with_redis_down_a_new_ticket_records_and_delivers_its_notifications(
    redis_down, client, agent, supervisor, category, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.WARNING)
    _row, token = tokens.issue(supervisor.user)

    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post("/portal/tickets/new", NEW_TICKET)  # rate-limited form: the count is in Redis
        ticket = Ticket.objects.get(customer_email="jane@example.org")
        assigned = client.post(
            f"/api/support/tickets/{ticket.pk}/assign",
            {"agent": agent.pk},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )

    assert submitted.status_code == 302
    assert assigned.status_code == 200, assigned.content
    rows = Notification.objects.order_by("id")
    assert [(r.channel, r.recipient, r.kind) for r in rows] == [
        ("email", "jane@example.org", "ticket.created"),
        ("email", agent.email, "ticket.assigned"),
        ("dashboard", agent.user.username, "ticket.assigned"),
    ]
    assert {r.status for r in rows} == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["jane@example.org", agent.email])
    assert cache_errors(caplog)


# --- Broker unavailable at dispatch time -------------------------------------------------

CREATE_WITH_BROKER_DOWN = """
import json, time, django
django.setup()
from django.test import Client
client = Client(HTTP_AUTHORIZATION="Token {token}")
started = time.monotonic()
created = client.post("/api/support/tickets", {ticket}, content_type="application/json")
ticket_id = created.json()["id"]
replied = client.post(f"/api/support/tickets/{{ticket_id}}/messages", {{"body": "We are on it."}},
                      content_type="application/json")
print(json.dumps({{"created": created.status_code, "replied": replied.status_code, "ticket": ticket_id,
                  "seconds": time.monotonic() - started}}))
"""


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_requests_succeed_and_the_sweeper_delivers_every_row_once(
    tmp_path, closed_port, agent, category, smtp_server, settings
):
    _row, token = tokens.issue(agent.user)
    env = production_env(
        tmp_path,
        DATABASE_URL=database_url(),
        DATABASE_POOL_MAX_SIZE="0",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port}/0",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        SECURE_SSL_REDIRECT="false",
        TICKETS_AUTO_ASSIGN="false",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
    )

    result = run_python(CREATE_WITH_BROKER_DOWN.format(token=token, ticket=NEW_TICKET), env)

    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["created"], outcome["replied"]) == (201, 201)
    assert outcome["seconds"] < 10
    assert "could not dispatch notifications" in result.stderr  # logged, not raised
    rows = Notification.objects.filter(channel="email").order_by("id")
    assert [(r.recipient, r.kind, r.status, r.attempts) for r in rows] == [
        ("jane@example.org", "ticket.created", "pending", 0),
        ("jane@example.org", "ticket.agent_reply", "pending", 0),
    ]
    assert smtp_server.messages == []

    # The periodic sweeper, as beat runs it every minute, delivers what was never dispatched.
    assert beat_schedule()["deliver-due-notifications"]["task"] == deliver_due_notifications.name
    use_smtp(settings, smtp_server.port)
    assert deliver_due_notifications.delay().get() == {"sent": 2}
    assert deliver_due_notifications.delay().get() == {}  # nothing is sent twice

    assert {(r.status, r.attempts) for r in rows.all()} == {("sent", 1)}
    assert [m["to"] for m in smtp_server.messages] == [["jane@example.org"], ["jane@example.org"]]
    assert f"#{outcome['ticket']}" in smtp_server.messages[0]["data"]
    assert "We are on it." in smtp_server.messages[1]["data"]


# --- Database connection dropped mid-request ---------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def postgres_connect():
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


def request_with_its_backend_killed(url: str, headers: dict[str, str], table: str) -> tuple[int, dict, bytes, int]:
    """GET url while `table` is locked; kill the backend that waits on the lock; the answer.

    The lock makes the moment exact: the request has started and is inside a query when its
    connection is terminated, as when the server restarts or fails over under load.
    """
    with postgres_connect() as killer:
        killer.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # held until the rollback
        answer: list = []
        waiting = threading.Thread(target=lambda: answer.append(http_get(url, headers)))
        waiting.start()
        victim = None
        deadline = time.monotonic() + 20
        while victim is None and time.monotonic() < deadline:
            victim = killer.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            time.sleep(0.05)
        assert victim is not None, "the request never reached the locked table"
        killer.execute("SELECT pg_terminate_backend(%s)", victim)
        killer.rollback()
        waiting.join(timeout=30)
    status, response_headers, body = answer[0]
    return status, response_headers, body, victim[0]


def collect_static(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def gunicorn(tmp_path, settings):
    """A real gunicorn (gunicorn.conf.py, one sync worker, the psycopg pool) on the test database."""
    port = free_port()
    env = production_env(
        tmp_path,
        SECRET_KEY=settings.SECRET_KEY,  # sessions signed in by the test are valid there
        DATABASE_URL=database_url(),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
    )
    collect_static(env)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "helpdesk.wsgi"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if http_get(f"{base}/api/health/live", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        server.output = ""
        yield base, server
    finally:
        server.terminate()
        try:
            server.output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.output, _ = server.communicate()


def _postgres_backend_killed_mid_request(gunicorn, agent, ticket, client) -> None:
    base, server = gunicorn
    _row, token = tokens.issue(agent.user)
    api = {"Authorization": f"Token {token}"}
    client.force_login(agent.user)
    page = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    assert http_get(f"{base}/api/support/tickets", api)[0] == 200  # the worker's pool is warm

    # In a view: the ticket list's query is killed.
    status, headers, body, api_backend = request_with_its_backend_killed(
        f"{base}/api/support/tickets", api, "tickets_ticket"
    )
    assert status == 503, body
    assert headers["Retry-After"] == "5"
    assert json.loads(body) == {"detail": "The service is briefly unavailable; try again in a few seconds."}
    recovered = http_get(f"{base}/api/support/tickets", api)
    assert recovered[0] == 200
    assert [t["id"] for t in json.loads(recovered[2])["results"]] == [ticket.pk]

    # In a middleware: the agent's session is read before any view runs.
    status, headers, body, page_backend = request_with_its_backend_killed(f"{base}/agent/", page, "django_session")
    assert status == 503, body[:2000]
    assert headers["Retry-After"] == "5"
    assert "briefly unavailable" in body.decode()
    recovered = http_get(f"{base}/agent/?view=all", page)
    assert recovered[0] == 200
    assert "Printer on fire" in recovered[2].decode()

    with postgres_connect() as probe:  # both were really killed, by us
        alive = probe.execute("SELECT pid FROM pg_stat_activity WHERE pid IN (%s, %s)", (api_backend, page_backend))
        assert alive.fetchall() == []
    assert server.poll() is None  # the same worker answered throughout


@pytest.mark.django_db(transaction=True)
def test_a_database_connection_lost_mid_request_answers_503_and_the_next_request_recovers(
    request, client, agent, category
):
    """A real gunicorn's backend is killed inside a view and inside a middleware; each answers
    a clean 503 with Retry-After and the next request gets 200."""
    ticket = TicketFactory(subject="Printer on fire", category=category, status="open")
    _postgres_backend_killed_mid_request(request.getfixturevalue("gunicorn"), agent, ticket, client)


# --- Slack answering slowly ----------------------------------------------------------------


def slack_row(ticket_id: int) -> Notification:
    return NotificationFactory(
        channel="slack",
        recipient="default",
        kind="sla.violation.first_response",
        payload={"type": "violation", "ticket_id": ticket_id, "title": f"SLA breached on #{ticket_id}"},
    )


@pytest.mark.django_db
def test_a_slow_slack_is_cut_off_by_the_timeout_retried_later_and_holds_up_nothing(fake_slack, settings):
    settings.SLACK_TIMEOUT_SECONDS = 0.5
    fake_slack.responses = [(200, {}, 4.0)]  # the first call is answered after 4 s, then promptly
    slow, *_prompt = [slack_row(ticket_id) for ticket_id in (101, 102, 103)]

    started = time.monotonic()
    first_sweep = deliver_due_notifications.delay().get()
    took = time.monotonic() - started

    assert first_sweep == {"failed": 1, "sent": 2}
    assert took < 0.5 + 1.5  # the timeout, plus the two prompt deliveries: the worker moved on
    slow.refresh_from_db()
    assert (slow.status, slow.attempts) == ("failed", 1)
    assert "timed out" in slow.last_error
    assert slow.next_attempt_at > timezone.now()
    assert notifications_deliver_due() == {}  # not retried before its backoff

    assert notifications_deliver_due(now=slow.next_attempt_at) == {"sent": 1}
    assert notifications_deliver_due(now=slow.next_attempt_at + timedelta(days=1)) == {}

    assert [(r.status, r.attempts) for r in Notification.objects.order_by("id")] == [
        ("sent", 2),
        ("sent", 1),
        ("sent", 1),
    ]
    # Slack saw the slow row twice (the first call reached it but was never acknowledged:
    # at-least-once) and every other row once.
    seen = [message["text"] for message in fake_slack.received]
    assert [sum(f"#{n}" in text for text in seen) for n in (101, 102, 103)] == [2, 1, 1]


# --- SMTP refusing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_smtp_server_refusing_for_now_is_retried_with_backoff_then_dead_in_admin_and_requeued(
    smtp_server, settings, admin_client
):
    use_smtp(settings, smtp_server.port)
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    smtp_server.refusal = "451 4.7.1 Greylisted, please try again later"
    row = NotificationFactory(recipient="greylisted@example.org")
    NotificationFactory(recipient="delivered@example.org", status="sent", attempts=1)

    statuses, waits = [], []
    moment = timezone.now()
    for _ in range(4):
        assert notifications_deliver_due(now=moment - timedelta(seconds=1)) == {}  # never early
        notifications_deliver_due(now=moment)
        row.refresh_from_db()
        statuses.append(row.status)
        waits.append((row.next_attempt_at - moment).total_seconds())
        moment = row.next_attempt_at

    assert statuses == ["failed", "failed", "failed", "dead"]
    assert row.attempts == 4
    assert "451" in row.last_error and "Greylisted" in row.last_error
    for attempt, wait in enumerate(waits[:3], start=1):
        ceiling = 30 * 2 ** (attempt - 1)
        assert ceiling / 2 <= wait <= ceiling
    assert smtp_server.messages == []

    # Visible to an administrator among the dead rows.
    dead = admin_client.get("/admin/notifications/notification/", {"status__exact": "dead"})
    assert dead.status_code == 200
    assert "greylisted@example.org" in dead.content.decode()
    assert "delivered@example.org" not in dead.content.decode()

    # Re-queued from admin once the server accepts mail again: delivered, once.
    smtp_server.refusal = None
    admin_client.post("/admin/notifications/notification/", {"action": "requeue", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert notifications_deliver_due() == {"sent": 1}
    assert notifications_deliver_due(now=timezone.now() + timedelta(days=1)) == {}
    assert [m["to"] for m in smtp_server.messages] == [["greylisted@example.org"]]


@pytest.mark.django_db
def test_an_smtp_server_refusing_for_good_leaves_the_row_dead_at_once(smtp_server, settings):
    use_smtp(settings, smtp_server.port)
    smtp_server.refusal = "550 5.1.1 No such user here"
    row = NotificationFactory(recipient="nobody@example.org")

    assert notifications_deliver_due() == {"dead": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("dead", 1)
    assert "550" in row.last_error
    assert smtp_server.messages == []
