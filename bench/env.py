"""The environment every benchmark process runs in: production settings on loopback services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
REDIS_PORT = 18401  # a Redis of the benchmark's own: its INFO counts only benchmark traffic
WEB_PORT = 18402
SLACK_PORT = 18403


def database_name(scale: str) -> str:
    return f"helpdesk_bench_{scale}"


def bench_env(scale: str, var_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DEBUG": "false",
            "SECRET_KEY": "benchmark-only-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0-not-a-secret",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "DATABASE_URL": f"{PG}/{database_name(scale)}",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/1",
            "HELPDESK_VAR_DIR": str(var_dir),
            "SITE_URL": f"http://127.0.0.1:{WEB_PORT}",
            "SLACK_WEBHOOK_URL": f"http://127.0.0.1:{SLACK_PORT}/hook",
            "LOG_LEVEL": "WARNING",
            # One token drives all the load: per-caller API limits would turn it into 429s.
            "API_USER_RATE": "1000000/m",
            "API_ANON_RATE": "1000000/m",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(overrides)
    return env


def apply(env: dict[str, str]) -> None:
    """Make this process one of the benchmark's (before django.setup())."""
    os.environ.clear()
    os.environ.update(env)


def start_redis() -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "512mb",
            "--maxmemory-policy",
            "allkeys-lru",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True).returncode == 0:
            return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the benchmark's Redis did not start")


def redis_cli(*args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), *args], capture_output=True, text=True, check=True
    ).stdout


def python(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, text=True, check=True, **kwargs)
