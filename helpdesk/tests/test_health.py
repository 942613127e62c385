from __future__ import annotations

import json

import pytest

from conftest import probe_health, production_env, run_python


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/health", "/api/health/"])
def test_it_answers_ok_when_every_dependency_answers(monitor, path):
    response = monitor.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_needs_no_authentication_and_refuses_writes(client):
    assert client.post("/api/health").status_code == 405


def test_it_reports_an_unreachable_database_with_503_within_five_seconds(tmp_path, closed_port):
    env = production_env(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/helpdesk")

    probe = probe_health(env)

    assert probe["status"] == 503
    assert probe["body"]["status"] == "error"
    assert probe["body"]["checks"]["database"].startswith("error:")
    assert probe["body"]["checks"]["cache"] == "ok"
    assert probe["body"]["checks"]["broker"] == "ok"
    assert probe["seconds"] < 5


def test_it_reports_a_hung_database_within_five_seconds(tmp_path, silent_port):
    env = production_env(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent_port}/helpdesk")

    probe = probe_health(env)

    assert probe["status"] == 503
    assert probe["body"]["checks"]["database"].startswith("error:")
    assert probe["seconds"] < 5


def test_it_reports_an_unreachable_cache(tmp_path, closed_port):
    env = production_env(tmp_path, CACHE_URL=f"redis://127.0.0.1:{closed_port}/0")

    probe = probe_health(env)

    assert probe["status"] == 503
    assert probe["body"]["checks"]["cache"].startswith("error:")
    assert probe["body"]["checks"]["database"] == "ok"
    assert probe["body"]["checks"]["broker"] == "ok"
    assert probe["seconds"] < 5


def test_it_reports_a_hung_cache_within_five_seconds(tmp_path, silent_port):
    env = production_env(tmp_path, CACHE_URL=f"redis://127.0.0.1:{silent_port}/0")

    probe = probe_health(env)

    assert probe["status"] == 503
    assert probe["body"]["checks"]["cache"].startswith("error:")
    assert probe["seconds"] < 5


def test_it_reports_an_unreachable_broker(tmp_path, closed_port):
    env = production_env(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port}/0")

    probe = probe_health(env)

    assert probe["status"] == 503
    assert probe["body"]["checks"]["broker"].startswith("error:")
    assert probe["body"]["checks"]["database"] == "ok"
    assert probe["body"]["checks"]["cache"] == "ok"
    assert probe["seconds"] < 5


def test_it_reports_a_missing_filesystem_broker_folder(tmp_path):
    # Settings create the folder at start; the probe then removes it, as a wiped volume would.
    result = run_python(
        "import json, shutil, django; django.setup()\n"
        "from django.conf import settings\n"
        "shutil.rmtree(settings.CELERY_BROKER_DIR)\n"
        "from django.test import Client\n"
        "anonymous = Client().get('/api/health')\n"
        "print(json.dumps({'status': anonymous.status_code, 'body': anonymous.json()}))\n"
        "monitor = Client(HTTP_AUTHORIZATION='Bearer ' + settings.METRICS_TOKEN).get('/api/health')\n"
        "print(json.dumps({'status': monitor.status_code, 'body': monitor.json()}))",
        production_env(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    anonymous, monitor = (json.loads(line) for line in result.stdout.strip().splitlines()[-2:])
    # A stranger learns that something is wrong, not what: the details go to monitoring.
    assert anonymous == {"status": 503, "body": {"status": "error"}}
    assert monitor["status"] == 503
    assert monitor["body"]["checks"]["broker"].startswith("error: CheckFailed: broker folder")
