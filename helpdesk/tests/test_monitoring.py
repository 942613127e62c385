"""Who reads the internals (issue 20, point 5): /metrics only for a monitoring caller
(METRICS_TOKEN or METRICS_ALLOWED_IPS), /api/health's details only for such a caller or
signed-in staff; everyone else gets the overall status and nothing of the inside."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_metrics_need_the_token_or_an_allowed_address(settings, monitor):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "192.0.2.7"]

    assert Client().get("/metrics").status_code == 403  # loopback is not trusted by default
    assert Client(HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 403
    assert Client(HTTP_AUTHORIZATION=f"Token {settings.METRICS_TOKEN}").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="10.21.0.1").get("/metrics").status_code == 403
    answered = [
        monitor.get("/metrics"),
        Client(REMOTE_ADDR="10.20.3.4").get("/metrics"),
        Client(REMOTE_ADDR="192.0.2.7").get("/metrics"),
    ]
    assert [response.status_code for response in answered] == [200, 200, 200]
    assert all("django_http_requests_total_by_method_total" in r.content.decode() for r in answered)


def test_a_forwarded_address_counts_only_behind_the_trusted_proxies(settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    forged = {"HTTP_X_FORWARDED_FOR": "10.20.0.5", "REMOTE_ADDR": "203.0.113.9"}

    settings.TRUSTED_PROXY_COUNT = 0
    assert Client(**forged).get("/metrics").status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1
    assert Client(**forged).get("/metrics").status_code == 200  # the proxy appended it


def test_a_session_of_any_role_does_not_open_metrics(admin_user):
    client = Client()
    client.force_login(admin_user)

    assert client.get("/metrics").status_code == 403


def test_health_tells_strangers_the_status_and_staff_the_details(admin_user, agent, monitor):
    staff = Client()
    staff.force_login(admin_user)
    agent_client = Client()
    agent_client.force_login(agent.user)

    assert Client().get("/api/health").json() == {"status": "ok"}
    assert agent_client.get("/api/health").json() == {"status": "ok"}  # not staff
    for caller in (staff, monitor):
        body = caller.get("/api/health").json()
        assert body["status"] == "ok" and set(body["checks"]) >= {"database", "cache", "broker"}
