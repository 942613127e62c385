from __future__ import annotations

import json
import logging

import pytest

from core.logging import RequestIdFilter


@pytest.mark.django_db
def test_every_response_carries_a_fresh_request_id(client):
    first = client.get("/api/health")["X-Request-ID"]
    second = client.get("/api/health")["X-Request-ID"]

    assert len(first) == 32
    assert first != second


@pytest.mark.django_db
def test_it_keeps_a_well_formed_id_from_the_proxy(client):
    response = client.get("/api/health", headers={"X-Request-ID": "lb-7f3a9c21-0042"})

    assert response["X-Request-ID"] == "lb-7f3a9c21-0042"


@pytest.mark.django_db
def test_it_replaces_an_id_that_could_forge_log_lines(client):
    response = client.get("/api/health", headers={"X-Request-ID": "abc\nFAKE LOG LINE"})

    assert "\n" not in response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_the_request_line_is_logged_with_the_request_id(client, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="helpdesk.request"):
        response = client.get("/api/health")

    [record] = [r for r in caplog.records if r.name == "helpdesk.request"]
    assert record.request_id == response["X-Request-ID"]
    assert record.status == 200
    assert record.getMessage().startswith("GET /api/health 200")


def test_production_log_lines_are_json_with_the_request_id(tmp_path):
    from conftest import production_env, run_python

    result = run_python(
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "Client().get('/api/health', headers={'X-Request-ID': 'trace-0123456789'})",
        production_env(tmp_path, LOG_LEVEL="INFO"),
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    request_line = next(line for line in lines if line["logger"] == "helpdesk.request")
    assert request_line["request_id"] == "trace-0123456789"
    assert request_line["status"] == 200
    assert request_line["level"] == "INFO"
