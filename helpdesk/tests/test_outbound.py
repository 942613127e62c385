"""The guarded client for outgoing HTTP (core.outbound, issue 20 point 4), against real local
servers: what it refuses before sending anything, that it connects to the address it
checked, and that an answer is bounded in size, time and redirects. Then the two places a
person types such a URL: an SLA policy's Slack webhook (400 naming the field; dead-lettered
"refused by policy" at send time) and a mailbox's OAuth token endpoint."""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from core import outbound
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from notifications.tests.factories import NotificationFactory
from sla.models import SLAPolicy

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP server: `answer` is (status, headers, body, delay before answering)."""

    def __init__(self) -> None:
        self.answer: tuple[int, dict[str, str], bytes, float] = (200, {}, b"ok", 0.0)
        self.paths: list[str] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.paths.append(self.path)
                status, headers, body, delay = receiver.answer
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    outbound.close_all()
    server = Receiver()
    yield server
    outbound.close_all()
    server.close()


@pytest.fixture
def guarded(settings):
    """The guard as in production: nothing allowlisted, DEBUG off."""
    settings.OUTGOING_URL_ALLOWLIST = []
    settings.DEBUG = False
    return settings


# --- Refused before anything is sent --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http(s) URLs can be called"),
        ("gopher://example.com/", "only http(s) URLs can be called"),
        ("http://hooks.example.com/x", "only https URLs can be called"),
        ("https://user:pw@hooks.example.com/x", "must not carry a user name or password"),
        ("https://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("https://[::1]:6379/", "::1 is a loopback address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("https://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
        ("https://169.254.1.1/", "169.254.1.1 is a link-local address"),
        ("https://10.1.2.3/", "10.1.2.3 is a private or reserved address"),
        ("https://172.16.0.1/", "172.16.0.1 is a private or reserved address"),
        ("https://192.168.1.10:8080/", "192.168.1.10 is a private or reserved address"),
        ("https://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("https://[::ffff:127.0.0.1]/", "127.0.0.1 is a loopback address"),
        ("https://0.0.0.0/", "0.0.0.0 is the unspecified address"),
        ("https://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("https://[fe80::1]/", "fe80::1 is a link-local address"),
        ("https://localhost:6379/", "localhost is an internal host name"),
        ("https://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is an internal host name"),
    ],
)
def test_urls_that_reach_inside_are_refused_with_the_rule(guarded, url, reason):
    with pytest.raises(outbound.Refused) as refused:
        outbound.post(url, b"{}", headers={}, timeout=1)

    assert reason in str(refused.value)


def test_a_name_resolving_to_an_inside_address_is_refused_after_resolving(guarded, receiver):
    """This machine's own name resolves to one of its addresses (loopback or private)."""
    name = socket.gethostname()
    guarded.DEBUG = True  # http allowed: the address decides

    with pytest.raises(outbound.Refused) as refused:
        outbound.post(receiver.url(host=name), b"{}", headers={}, timeout=1)

    assert f"{name.lower()} resolves to" in str(refused.value)
    assert receiver.paths == []


def test_debug_allows_http_but_not_inside_addresses(guarded, receiver):
    guarded.DEBUG = True

    with pytest.raises(outbound.Refused, match=r"127\.0\.0\.1 is a loopback address"):
        outbound.post(receiver.url(), b"{}", headers={}, timeout=1)


def test_an_allowlisted_host_and_port_is_called_and_nothing_else_is(guarded, receiver):
    guarded.OUTGOING_URL_ALLOWLIST = [f"127.0.0.1:{receiver.port}"]

    answer = outbound.post(receiver.url(), b"{}", headers={}, timeout=2)

    assert answer.status == 200 and receiver.paths == ["/hook"]
    with pytest.raises(outbound.Refused):
        outbound.post(f"http://127.0.0.1:{receiver.port + 1}/hook", b"{}", headers={}, timeout=1)


# --- The address checked is the address connected to ---------------------------------------


def test_the_connection_goes_to_the_address_that_was_checked(settings, receiver, monkeypatch):
    """A name whose second lookup would answer elsewhere (DNS rebinding): one lookup per
    connection, and the socket connects to what that lookup answered."""
    settings.OUTGOING_URL_ALLOWLIST = ["rebind.test"]
    answers = iter(["127.0.0.1", "10.9.9.9"])
    calls = []

    def lookup(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", lookup)

    answer = outbound.post(f"http://rebind.test:{receiver.port}/hook", b"{}", headers={}, timeout=2)

    assert answer.status == 200 and receiver.paths == ["/hook"]
    assert calls == ["rebind.test"]


def test_one_refused_address_among_several_refuses_the_name(guarded, monkeypatch):
    monkeypatch.setattr(
        outbound.socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
        ],
    )

    with pytest.raises(outbound.Refused, match=r"hooks\.example\.com resolves to 10\.0\.0\.1 is a private"):
        outbound.post("https://hooks.example.com/x", b"{}", headers={}, timeout=1)


# --- Bounded answers -----------------------------------------------------------------------


def test_an_answer_is_read_up_to_max_body_and_no_further(receiver):
    receiver.answer = (200, {}, b"x" * 1_000_000, 0.0)

    answer = outbound.post(receiver.url(), b"{}", headers={}, timeout=5, max_body=1000)

    assert len(answer.body) == 1000 and answer.complete is False


def test_a_silent_server_times_out(receiver):
    receiver.answer = (200, {}, b"late", 3.0)

    with pytest.raises(TimeoutError):
        outbound.post(receiver.url(), b"{}", headers={}, timeout=0.5)


def test_redirects_are_returned_not_followed(receiver):
    receiver.answer = (302, {"Location": receiver.url("/elsewhere")}, b"", 0.0)

    answer = outbound.post(receiver.url(), b"{}", headers={}, timeout=2)

    assert answer.status == 302
    assert receiver.paths == ["/hook"]


# --- Where people type URLs ------------------------------------------------------------------


def test_the_api_refuses_an_inside_slack_webhook_naming_the_field(guarded, supervisor_api):
    policy = {"name": "Gold", "priority": "high", "first_response_hours": 1, "resolution_hours": 8}

    refused = supervisor_api.post(
        "/api/support/sla/policies",
        {**policy, "slack_webhook_url": "http://169.254.169.254/latest/meta-data/"},
        format="json",
    )
    also_refused = supervisor_api.post(
        "/api/support/sla/policies", {**policy, "slack_webhook_url": "https://[::1]:6379/"}, format="json"
    )
    accepted = supervisor_api.post(
        "/api/support/sla/policies",
        {**policy, "slack_webhook_url": "https://hooks.slack.com/services/T/B/X"},
        format="json",
    )

    assert refused.status_code == 400
    [message] = refused.json()["slack_webhook_url"]
    assert message.startswith("This URL cannot be called: only https URLs can be called")
    assert also_refused.status_code == 400
    assert also_refused.json()["slack_webhook_url"] == ["This URL cannot be called: ::1 is a loopback address."]
    assert accepted.status_code == 201
    assert SLAPolicy.objects.count() == 1


def test_a_delivery_to_an_inside_address_is_dead_lettered_as_refused_by_policy(guarded, receiver):
    guarded.SLACK_WEBHOOK_URL = receiver.url()  # set in the environment, past any form
    row = NotificationFactory(channel="slack", recipient="default", payload={"title": "SLA breached"})

    assert notifications_deliver_due() == {"dead": 1}

    row = Notification.objects.get(pk=row.pk)
    assert (
        row.last_error
        == "refused by policy: only https URLs can be called (http needs the host in OUTGOING_URL_ALLOWLIST)"
    )
    assert receiver.paths == []  # nothing was sent
