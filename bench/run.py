"""`make bench` / `python -m bench --scale small|full`: seed a fresh database, run every benchmark,
print a table and write bench/results/<date>-<scale>.json (<date>-<scale>-<tag>.json with --tag).

The database lives in a PostgreSQL cluster of the benchmark's own (bench.env: BENCH_PGDATA, port
18404), started for the run and stopped at its end; the data directory is kept for `--reuse`.
Before measuring, the whole database is read into shared buffers (pg_prewarm): a server just
started has them empty, and the first benchmark would measure the disk.

Each figure is measured in the process that would pay for it in production: the SLA scan in a
process of its own (its peak RSS is the scan's), the API through gunicorn with the load coming
from another process, deliveries through a real Celery worker to a local HTTP receiver.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import env as bench_env

RESULTS = Path(__file__).resolve().parent / "results"


def _fresh_database(name: str) -> None:
    bench_env.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    bench_env.psql(f'CREATE DATABASE "{name}"')


def _postgresql_settings() -> dict[str, object]:
    """What the figures were measured with (bench.env.pg_settings sets the first two)."""
    settings: dict[str, object] = {
        name: bench_env.psql(f"SHOW {name}")
        for name in ("shared_buffers", "max_wal_size", "autovacuum", "data_directory")
    }
    settings["port"] = bench_env.PG_PORT
    return settings


def _versions() -> dict[str, str]:
    import celery
    import django
    import gunicorn
    import psycopg

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "postgresql": bench_env.psql("SHOW server_version"),
        "redis": bench_env.redis_cli("INFO", "server").split("redis_version:")[1].split()[0],
    }


def _machine() -> dict[str, object]:
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(int(memory) / 2**20, 1),
        "kernel": platform.release(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database (skips seeding)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these benchmarks")
    parser.add_argument("--tag", default="", help="write bench/results/<date>-<scale>-<tag>.json (a day's second set)")
    args = parser.parse_args(argv)

    from bench.scales import SCALES

    scale = SCALES[args.scale]
    database = bench_env.database_name(scale.name)
    var_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    env = bench_env.bench_env(scale.name, var_dir)
    command = " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])])
    bench_env.check_ports_free()
    with contextlib.ExitStack() as services:  # stopped in reverse order, also on error or Ctrl-C
        services.callback(bench_env.stop_postgres)
        bench_env.start_postgres()
        redis = bench_env.start_redis()
        services.callback(redis.wait, timeout=10)
        services.callback(redis.terminate)
        report: dict[str, object] = {
            "scale": scale.name,
            "command": command,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": _machine(),
            "versions": _versions(),
            "postgresql_settings": _postgresql_settings(),
            "figures": {},
        }
        seeded = args.reuse and bench_env.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'") == "1"
        bench_env.apply(env)
        import django

        if not seeded:
            print(f"Seeding {database} ({scale.tickets:,} tickets)...", flush=True)
            _fresh_database(database)
            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            from bench.seed import seed

            now = datetime.now(UTC)
            report["seeding"] = {"seconds": seed(scale, now=now)}
        else:
            django.setup()
            from django.core.management import call_command

            print(f"Reusing {database}", flush=True)
            started = time.perf_counter()
            call_command("migrate", verbosity=2)  # what changed since it was seeded (each timed)
            # The migrations this run applied, timed on the seeded database (an index or a
            # constraint on the million tickets is the slow kind).
            report["migrate_seconds"] = round(time.perf_counter() - started, 2)
            print(f"  migrate: {report['migrate_seconds']} s", flush=True)
        report["prewarm"] = bench_env.prewarm(database)
        from bench import benchmarks

        report["database"] = benchmarks.database_facts(database)
        report["figures"] = benchmarks.run_all(scale, env, only=args.only)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{scale.name}{f'-{args.tag}' if args.tag else ''}.json"
    if args.only and path.exists():  # a partial run updates the day's figures, keeps the others
        previous = json.loads(path.read_text())
        report["figures"] = {**previous.get("figures", {}), **report["figures"]}
        if "seeding" in previous and "seeding" not in report:  # the seeding those figures stand on
            report["seeding"] = previous["seeding"]
        report["command"] = f"{previous.get('command')}; then {command}"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    from bench.benchmarks import print_table

    print_table(report)
    print(f"\nWritten {path.relative_to(bench_env.ROOT)}")
    with contextlib.suppress(OSError):
        subprocess.run(["rm", "-rf", str(var_dir)], check=False)
    return 0
