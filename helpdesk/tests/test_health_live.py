"""/api/health/live, the liveness probe: answers while the process serves, whatever its dependencies do."""

from __future__ import annotations

import json

import pytest

from conftest import production_env, run_python


@pytest.mark.parametrize("path", ["/api/health/live", "/api/health/live/"])
def test_it_answers_ok_without_touching_the_database(client, path):
    # No django_db mark: pytest-django makes any database access in this test an error.
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_it_refuses_writes(client):
    assert client.post("/api/health/live").status_code == 405


LIVE_AND_READY_PROBE = """
import json, time, django
django.setup()
from django.test import Client
answers = {}
for path in ("/api/health/live", "/api/health"):
    started = time.monotonic()
    response = Client().get(path)
    answers[path] = {"status": response.status_code, "seconds": time.monotonic() - started}
print(json.dumps(answers))
"""


def test_it_stays_live_over_plain_http_while_the_database_and_cache_are_down(tmp_path, closed_port):
    # A production process (DEBUG off, so HTTPS redirects are on) whose PostgreSQL and
    # Redis refuse connections: readiness fails, liveness must not, or the orchestrator
    # would restart every web pod during a database outage.
    env = production_env(
        tmp_path,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/helpdesk",
        CACHE_URL=f"redis://127.0.0.1:{closed_port}/0",
    )

    result = run_python(LIVE_AND_READY_PROBE, env)

    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["/api/health/live"]["status"] == 200
    assert answers["/api/health/live"]["seconds"] < 1
    assert answers["/api/health"]["status"] == 503
