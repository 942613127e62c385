from __future__ import annotations

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


def test_the_settings_module_imports_with_an_empty_environment(tmp_path):
    # The embedded default: no variable set but DEBUG (as `make run` does).
    import subprocess

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "HELPDESK_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
