"""pytest plugin: a test session without DATABASE_URL runs on the embedded PostgreSQL.

Loaded with ``-p core.pytest_embedded_postgres`` (pyproject.toml's addopts) so that it runs
before pytest-django reads the settings. The server stops when the session ends.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

from core.embedded_postgres import embedded_database


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser, args):
    if not os.environ.get("DATABASE_URL"):
        stack = ExitStack()
        os.environ["DATABASE_URL"] = stack.enter_context(embedded_database())
        early_config.add_cleanup(stack.close)
    return (yield)
