from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import BASE_DIR, production_env, run_python

DEPLOY_CHECK = (
    "import sys; from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
)


def test_production_settings_pass_the_deploy_check_without_warnings(tmp_path):
    result = run_python(DEPLOY_CHECK, production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_does_fail_on_development_settings(tmp_path):
    result = run_python(DEPLOY_CHECK, production_env(tmp_path, DEBUG="true"))

    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG must not be on in deployment


def test_it_refuses_to_start_without_a_secret_key_in_production(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]

    result = run_python("import django; django.setup()", env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG", "perhaps"), ("DATABASE_CONNECT_TIMEOUT", "soon"), ("LOG_FORMAT", "xml")],
)
def test_it_fails_loudly_on_a_malformed_setting(tmp_path, variable, value):
    result = run_python("import django; django.setup()", production_env(tmp_path, **{variable: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr or "ValueError" in result.stderr


def run_manage(tmp_path, *command: str) -> subprocess.CompletedProcess[str]:
    """A command with nothing in its environment but DEBUG (as `make run` sets it)."""
    return subprocess.run(
        [sys.executable, *command],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "HELPDESK_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_embedded_default_creates_its_database_from_nothing_and_stops_it_after(tmp_path):
    result = run_manage(tmp_path, "-m", "core.embedded_postgres", "manage.py", "migrate", "--no-input", "-v0")

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "postgres" / "PG_VERSION").read_text().strip() == "18"
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()  # stopped with the command
    again = run_manage(tmp_path, "-m", "core.embedded_postgres", "manage.py", "migrate", "--check", "-v0")
    assert again.returncode == 0, again.stderr  # the same data, reused: nothing left to apply


def test_without_database_url_a_command_says_how_to_get_one(tmp_path):
    result = run_manage(tmp_path, "manage.py", "check")

    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
    assert "core.embedded_postgres" in result.stderr
