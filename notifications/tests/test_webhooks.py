"""Slack deliveries reuse one kept-alive connection per webhook host, and reuse never costs
a delivery: a connection the server closed is replaced, a late answer is never read as the
next request's, a fork never shares a connection, and a configured proxy is still used."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from core import outbound as webhooks
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


class KeepAliveSlack:
    """A local webhook speaking HTTP/1.1 with keep-alive, counting the connections it accepts.

    `responses` is consumed one per request: (status, delay seconds); then 200 at once.
    With `idle_timeout`, a connection idle that long is closed by the server.
    """

    def __init__(self, idle_timeout: float | None = None) -> None:
        self.connections = 0
        self.received: list[dict] = []
        self.responses: list[tuple[int, float]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout

            def setup(self) -> None:
                super().setup()
                fake.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.received.append(json.loads(body))
                status, delay = fake.responses.pop(0) if fake.responses else (200, 0.0)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keepalive_slack(settings):
    webhooks.close_all()
    server = KeepAliveSlack(idle_timeout=0.3)
    settings.SLACK_WEBHOOK_URL = server.url
    yield server
    webhooks.close_all()
    server.close()


def slack_rows(count: int) -> list[Notification]:
    return [
        NotificationFactory(
            channel="slack",
            recipient="default",
            kind="sla.violation.resolution",
            payload={"type": "violation", "ticket_id": n, "title": f"SLA breached on #{n}"},
        )
        for n in range(1, count + 1)
    ]


def tickets_received(server) -> list[int]:
    return sorted(int(message["text"].split("#")[1].split("*")[0]) for message in server.received)


def test_every_row_of_a_sweep_goes_over_one_connection(keepalive_slack):
    slack_rows(45)

    assert notifications_deliver_due() == {"sent": 45}

    assert keepalive_slack.connections == 1
    assert tickets_received(keepalive_slack) == list(range(1, 46))  # each once
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_failed_attempt(keepalive_slack):
    first, second = slack_rows(2)
    Notification.objects.filter(pk=second.pk).update(next_attempt_at=first.next_attempt_at.replace(year=2100))
    assert notifications_deliver_due() == {"sent": 1}

    time.sleep(0.6)  # the server's idle timeout (0.3 s) closes the kept connection
    Notification.objects.filter(pk=second.pk).update(next_attempt_at=first.next_attempt_at)

    assert notifications_deliver_due() == {"sent": 1}
    assert keepalive_slack.connections == 2
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_after_a_timeout_the_late_answer_is_never_taken_for_the_next_rows(keepalive_slack, settings):
    settings.SLACK_TIMEOUT_SECONDS = 0.3
    keepalive_slack.responses = [(503, 1.0)]  # the first request is answered, 503, after 1 s
    slow, prompt = slack_rows(2)

    assert notifications_deliver_due() == {"failed": 1, "sent": 1}

    slow.refresh_from_db()
    prompt.refresh_from_db()
    assert (slow.status, prompt.status) == ("failed", "sent")
    assert "timed out" in slow.last_error
    assert keepalive_slack.connections == 2  # the timed-out connection was dropped, not reused


def test_a_webhook_that_redirects_is_not_followed_and_the_row_is_dead(fake_slack):
    fake_slack.default = (302, {"Location": "http://127.0.0.1:9/elsewhere"}, 0)
    [row] = slack_rows(1)

    assert notifications_deliver_due() == {"dead": 1}

    row.refresh_from_db()
    assert "Slack answered 302" in row.last_error
    assert len(fake_slack.received) == 1


def test_a_forked_process_opens_its_own_connection(keepalive_slack, monkeypatch):
    import os

    slack_rows(1)
    assert notifications_deliver_due() == {"sent": 1}
    parents = webhooks._connections()
    assert len(parents) == 1

    child = os.getpid() + 1
    monkeypatch.setattr(webhooks.os, "getpid", lambda: child)  # as in a prefork child

    assert webhooks._connections() == {}  # the parent's connection is not the child's


def test_a_configured_proxy_is_still_used(settings, monkeypatch):
    import urllib.request

    from conftest import FakeSlack

    # urlopen's shared opener, as an earlier urlopen in this process built it: before the
    # proxy was configured. A proxied webhook must not go through it.
    urllib.request.install_opener(urllib.request.build_opener())
    proxy = FakeSlack()  # answers whatever reaches it, as an HTTP proxy forwarding to Slack would
    try:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server.server_address[1]}")
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        settings.SLACK_WEBHOOK_URL = "http://hooks.slack.invalid/services/T000/B000/XXXX"
        settings.OUTGOING_URL_ALLOWLIST = ["hooks.slack.invalid"]  # http: only where allowed
        slack_rows(1)

        assert notifications_deliver_due() == {"sent": 1}
        assert len(proxy.received) == 1 and "#1" in proxy.received[0]["text"]
    finally:
        proxy.close()
        urllib.request.install_opener(None)
