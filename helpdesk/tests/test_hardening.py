"""Bad input answers 4xx, never 5xx; limits count the real client; secret pages are not cached."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.ratelimit import client_ip
from tickets.links import private_token
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        {"search": "refund\x00"},
        {"customer_email": "a\x00b"},
        {"tag": "\x00"},
        {"category": "astrology"},
        {"assigned_agent": "bob"},
        {"created_after": "last week"},
        {"ordering": "password"},
        {"page": "abc"},
    ],
)
def test_bad_query_parameters_answer_4xx(agent_api, category, query):
    response = agent_api.get("/api/support/tickets", query)

    assert 400 <= response.status_code < 500 or (query.get("ordering") and response.status_code == 200)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("field", ["subject", "description", "customer_name"])
def test_null_characters_in_bodies_are_refused(agent_api, category, field):
    payload = {"subject": "Hi", "description": "Long enough text", "customer_email": "a@b.org", "category": "general"}

    response = agent_api.post(
        "/api/support/tickets", {**payload, field: payload.get(field, "x") + "\x00"}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("path", ["/api/support/nothing-here", "/api/support/tickets/1/attachments/abc"])
def test_unknown_api_paths_answer_json_404(agent_api, path):
    response = agent_api.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_pages_answer_an_html_404(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_malformed_json_is_a_400(agent_api, category):
    response = agent_api.generic("POST", "/api/support/tickets", "{not json", content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy trusted: the header is ignored
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged entry on the left is ignored
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
        (1, "", "10.0.0.2"),
    ],
)
def test_rate_limits_count_the_client_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_the_private_page_is_never_cached_and_answers_head(client):
    url = f"/portal/tickets/{private_token(TicketFactory())}/"

    response = client.get(url)

    assert "no-store" in response["Cache-Control"]
    assert client.head(url).status_code == 200


def test_a_sent_reply_is_confirmed(client):
    url = f"/portal/tickets/{private_token(TicketFactory())}/"

    page = client.post(url, {"body": "Thanks"}, follow=True).content.decode()

    assert "Your reply was sent." in page


def test_a_supervisor_manages_sla_and_agents_in_admin(client, supervisor, agent):
    client.force_login(supervisor.user)

    assert client.get("/admin/sla/slapolicy/add/").status_code == 200
    assert client.get("/admin/agents/agent/").status_code == 200
    assert client.get("/admin/tickets/ticket/").status_code == 200
    client.force_login(agent.user)
    assert client.get("/admin/sla/slapolicy/").status_code == 302  # plain agents are not staff
