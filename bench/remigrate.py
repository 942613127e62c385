"""Time one migration on the already seeded bench database, as an operator would run it.

    python -m bench.remigrate <app> <from> <to> [--scale full] [--before SQL ...]

Starts the bench cluster (bench.env), migrates `app` back to `from`, then times
`manage.py migrate <app> <to>` in a process of its own while a reader selects one row of
tickets_ticket every 5 ms and records how long each read waited (a lock held by the
migration shows as a long wait), then migrates everything forward again. Cheaper than
`--only migration`, which seeds a second database at the old schema: right for a schema
change that is the same at any size written (a column with a constant default), not for a
data migration, whose rows must be written at the old schema first, unless its backwards
step can be completed by hand: `--before` runs statements (each on its own, so VACUUM may be
one) after migrating back and before the timing, e.g. to clear what a data migration wrote
and its backwards step keeps:

    python -m bench.remigrate tickets 0020_ccs 0021_customer_profiles \
        --before "UPDATE tickets_ticket SET customer_id = NULL" "DELETE FROM customers_customer" \
        "VACUUM ANALYZE tickets_ticket"
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from bench import env as bench_env


def _migrate(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", *args, "--no-input"],
        env=env,
        cwd=bench_env.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"migrate {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("previous")
    parser.add_argument("migration")
    parser.add_argument("--scale", default="full", choices=["small", "full"])
    parser.add_argument("--before", nargs="*", default=[], help="statements run after migrating back")
    options = parser.parse_args()
    database = bench_env.database_name(options.scale)
    bench_env.start_postgres()
    try:
        env = bench_env.bench_env(options.scale, Path(tempfile.mkdtemp()))
        tickets = bench_env.psql("SELECT count(*) FROM tickets_ticket", database)
        _migrate(env, options.app, options.previous)
        for statement in options.before:
            started = time.perf_counter()
            bench_env.psql(statement, database)
            print(f"before: {statement}: {time.perf_counter() - started:.1f} s", flush=True)
        waits: list[float] = []
        stop = threading.Event()

        def read() -> None:
            with psycopg.connect(f"{bench_env.PG}/{database}", autocommit=True) as connection:
                while not stop.is_set():
                    started = time.perf_counter()
                    connection.execute("SELECT id FROM tickets_ticket ORDER BY id LIMIT 1").fetchall()
                    waits.append(time.perf_counter() - started)
                    time.sleep(0.005)

        reader = threading.Thread(target=read)
        reader.start()
        seconds = _migrate(env, options.app, options.migration)
        stop.set()
        reader.join()
        _migrate(env)
        print(
            f"migrate {options.app} {options.migration} on {int(tickets):,} tickets: {seconds:.2f} s "
            f"(the process, Django's start included); {len(waits)} reads meanwhile, "
            f"the longest waited {max(waits) * 1000:.1f} ms"
        )
    finally:
        bench_env.stop_postgres()


if __name__ == "__main__":
    main()
