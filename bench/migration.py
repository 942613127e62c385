"""Time a schema/data migration on a seeded database, as an operator would run it.

A data migration that touches tickets or messages is measured at a million tickets before it
ships. This benchmark does it for MIGRATION (tickets 0013_email_threading: Message.source and
the email envelope columns, Ticket.follow_up_of, the ThreadMessageId table, a CHECK constraint
on tickets_message and the backfill UPDATE of Message.source):

1. A database of its own (helpdesk_bench_<scale>_migration) is created, migrated to the
   newest state, given the demo data and agents, then migrated back to the migration's
   predecessor *before* the bulk rows go in: tickets and messages are written at the old
   schema, as production has them (bench.seed writes the columns the schema has).
2. The whole database is read into shared buffers, as a running server has its hot tables.
3. `manage.py migrate <app> <migration>` runs in a process of its own, timed. Meanwhile a
   watcher samples, every 50 ms, which statement the migration runs and which of
   tickets_ticket / tickets_message it holds an ACCESS EXCLUSIVE lock on, and a reader
   (`SELECT ... WHERE id = ...` on each of the two tables, started as soon as the lock is
   seen) measures how long a page reading a ticket would wait.
4. The database is dropped (the migration has changed it; a next run seeds afresh).

Run by default at the small scale (so that it keeps working); at full scale on request,
`python -m bench --scale full --reuse --only migration` (it seeds a second million tickets,
about as long as the first).

`python -m bench.migration seed <scale> <app> <previous>` is step 1's seeding process.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import psycopg

from bench import env as bench_env
from bench.scales import SCALES, Scale

MIGRATION = ("tickets", "0014_message_source_backfill")
# Seeded at this migration of the same app (None: the one MIGRATION follows): issue 19's
# schema change (0013) and its batched backfill (0014) are timed as one deployment.
MIGRATION_FROM: str | None = "0012_search_code_pairs"
LOCKED_TABLES = ("tickets_ticket", "tickets_message")
SAMPLE_SECONDS = 0.05


def previous_migration(app: str, name: str) -> str:
    """The migration of `app` that `name` follows (Django must be set up)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    parents = [parent for parent_app, parent in loader.graph.node_map[(app, name)].parents if parent_app == app]
    if not parents:
        raise SystemExit(f"{app}.{name} has no predecessor in its app")
    return parents[0]


def _statement(query: str) -> str:
    """A short name for a running statement: its first words, numbers and names kept."""
    text = " ".join(query.split())
    text = re.sub(r"SET CONSTRAINTS .*", "", text).strip()
    return text[:90]


class Watcher(threading.Thread):
    """Samples what the migration's backend runs and which big tables it has locked."""

    def __init__(self, conninfo: str, database: str) -> None:
        super().__init__(daemon=True)
        self.conninfo = conninfo
        self.database = database
        self.stop = threading.Event()
        self.statements: dict[str, float] = {}  # statement → seconds seen running
        self.locked: dict[str, list[float]] = {}  # table → [first seen, last seen] (perf_counter)
        self.readers: dict[str, threading.Thread] = {}
        self.waits: dict[str, float] = {}  # table → seconds a reader waited

    def _read(self, table: str) -> None:
        started = time.perf_counter()
        with psycopg.connect(self.conninfo, autocommit=True) as reader:
            reader.execute(f"SELECT id FROM {table} WHERE id = (SELECT 1)")
        self.waits[table] = time.perf_counter() - started

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as watcher:
            while not self.stop.is_set():
                now = time.perf_counter()
                rows = watcher.execute(
                    """
                    SELECT a.state, a.query,
                           coalesce(array_agg(c.relname) FILTER (WHERE c.relname IS NOT NULL), '{}')
                      FROM pg_stat_activity a
                      LEFT JOIN pg_locks l ON l.pid = a.pid AND l.granted AND l.mode = 'AccessExclusiveLock'
                      LEFT JOIN pg_class c ON c.oid = l.relation AND c.relname = ANY(%s)
                     WHERE a.datname = %s AND a.backend_type = 'client backend'
                       AND a.application_name <> 'bench-reader'
                       AND (a.state = 'active' OR a.state LIKE 'idle in transaction%%')
                     GROUP BY a.pid, a.state, a.query
                    """,
                    [list(LOCKED_TABLES), self.database],
                ).fetchall()
                for state, query, tables in rows:
                    # Between two statements of its transaction the migration is Django's (Python).
                    name = _statement(query) if state == "active" else "(between statements, in the transaction)"
                    self.statements[name] = self.statements.get(name, 0.0) + SAMPLE_SECONDS
                    for table in tables:
                        seen = self.locked.setdefault(table, [now, now])
                        seen[1] = now
                        if table not in self.readers:
                            reader = threading.Thread(target=self._read, args=(table,), daemon=True)
                            self.readers[table] = reader
                            reader.start()
                self.stop.wait(SAMPLE_SECONDS)


def bench_migration(scale: Scale, env: dict[str, str]) -> dict[str, object]:
    app, name = MIGRATION
    database = f"{bench_env.database_name(scale.name)}_migration"
    url = f"{bench_env.PG}/{database}"
    own_env = {**env, "DATABASE_URL": url}
    previous = MIGRATION_FROM or previous_migration(app, name)
    bench_env.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    bench_env.psql(f'CREATE DATABASE "{database}"')
    try:
        print(f"  seeding {database} at {app} {previous} ({scale.tickets:,} tickets)...", flush=True)
        bench_env.python("-m", "bench.migration", "seed", scale.name, app, previous, env=own_env)
        bench_env.prewarm(database)
        counts = {table: int(bench_env.psql(f"SELECT count(*) FROM {table}", database)) for table in LOCKED_TABLES}
        sizes_mb = {
            table: round(int(bench_env.psql(f"SELECT pg_total_relation_size('{table}')", database)) / 2**20)
            for table in LOCKED_TABLES
        }
        watcher = Watcher(url + "?application_name=bench-reader", database)
        watcher.start()
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", app, name, "--no-input"],
            env=own_env,
            cwd=bench_env.ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        watcher.stop.set()
        watcher.join(timeout=10)
        for reader in watcher.readers.values():
            reader.join(timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"migrate {app} {name} failed:\n{done.stdout}{done.stderr}")
        updated = {
            source: int(count)
            for source, count in (
                line.split("|")
                for line in bench_env.psql(
                    "SELECT source, count(*) FROM tickets_message GROUP BY 1 ORDER BY 1", database
                ).splitlines()
            )
        }
    finally:
        bench_env.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    locked = {table: round(last - first + SAMPLE_SECONDS, 2) for table, (first, last) in watcher.locked.items()}
    slowest = dict(sorted(watcher.statements.items(), key=lambda item: -item[1])[:8])
    print(f"  migrate {app} {name}: {wall:.1f} s (the process, Django's start included)", flush=True)
    for table in LOCKED_TABLES:
        print(
            f"  {table}: ACCESS EXCLUSIVE for {locked.get(table, 0):.1f} s; "
            f"a reader waited {watcher.waits.get(table, 0):.1f} s",
            flush=True,
        )
    for statement, seconds in slowest.items():
        print(f"    {seconds:6.2f} s  {statement}", flush=True)
    return {
        "migration_seconds": {"median": round(wall, 2), "runs": 1},
        "migration_message_lock_seconds": {"median": locked.get("tickets_message", 0.0), "runs": 1},
        "migration_ticket_lock_seconds": {"median": locked.get("tickets_ticket", 0.0), "runs": 1},
        "migration_reader_wait_seconds": {"median": round(max(watcher.waits.values(), default=0.0), 2), "runs": 1},
        "migration_context": {
            "migration": f"{app}.{name}",
            "from": f"{app}.{previous}",
            "rows": counts,
            "total_size_mb": sizes_mb,
            "messages_by_source_after": updated,
            "reader_wait_seconds": {table: round(wait, 2) for table, wait in watcher.waits.items()},
            "statements_seconds_sampled": {statement: round(seconds, 2) for statement, seconds in slowest.items()},
        },
    }


def _seed(scale_name: str, app: str, previous: str) -> None:
    """Step 1 (in its own process, DATABASE_URL naming the migration's database)."""
    import django

    django.setup()
    from django.core.management import call_command

    from bench.seed import seed

    call_command("migrate", verbosity=0)
    seed(
        SCALES[scale_name],
        now=datetime.now(UTC),
        after_demo=lambda: call_command("migrate", app, previous, verbosity=0),
    )


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "seed":
        raise SystemExit("usage: python -m bench.migration seed <scale> <app> <previous migration>")
    _seed(*sys.argv[2:])
