"""pytest plugin: a test session without DATABASE_URL runs on the embedded PostgreSQL.

Loaded with ``-p core.pytest_embedded_postgres`` (pyproject.toml's addopts) so that it runs
before pytest-django reads the settings. The tests have a server of their own, in
``var/postgres-test`` (not make run's ``var/postgres``), which never waits for the disk
(core.embedded_postgres.THROWAWAY_SETTINGS): its data lives as long as a test. The server
stops when the session ends.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

from core.embedded_postgres import embedded_database, var_dir


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser, args):
    if not os.environ.get("DATABASE_URL"):
        stack = ExitStack()
        url = stack.enter_context(embedded_database(var_dir() / "postgres-test", throwaway=True))
        os.environ["DATABASE_URL"] = url
        early_config.add_cleanup(stack.close)
    return (yield)
