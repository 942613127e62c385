"""The environment every benchmark process runs in: production settings on loopback services.

PostgreSQL is a cluster of the benchmark's own (BENCH_PGDATA, port PG_PORT), sized like a
dedicated database host: shared_buffers a quarter of RAM instead of the default 128MB. With
128MB the database lives in the OS page cache, which a kernel running proactive reclaim (DAMON
pageout of idle unmapped pages) empties within seconds, and reads go to disk; shared buffers are
shared memory, which without swap is never reclaimed. The data directory outlives the run
(`--reuse`); the server runs only while a run does.
"""

from __future__ import annotations

import functools
import glob
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_PORT = 18401  # a Redis of the benchmark's own: its INFO counts only benchmark traffic
WEB_PORT = 18402
SLACK_PORT = 18403
PG_PORT = 18404  # a PostgreSQL cluster of the benchmark's own, not the machine's shared server
IMAP_PORT = 18405  # the mail benchmark's dovecot (bench.imap_server)
WEBHOOK_PORT = 18406  # the webhooks benchmark's receiver (bench.webhook_receiver)
PGDATA = Path(os.environ.get("BENCH_PGDATA", "/var/tmp/helpdesk-bench-pg"))  # noqa: S108 - kept across runs and reboots
PG = f"postgres://postgres@127.0.0.1:{PG_PORT}"


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
            "OUTGOING_URL_ALLOWLIST": "127.0.0.1",  # the local receivers (core.outbound)
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


def check_ports_free() -> None:
    """Refuse to start beside another run: its Redis would answer our pings and its gunicorn
    our requests, and both runs would measure each other."""
    for port in (REDIS_PORT, WEB_PORT, SLACK_PORT, IMAP_PORT, WEBHOOK_PORT):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is in use (another benchmark run?): the benchmark needs it")


# --- PostgreSQL ---------------------------------------------------------------------------


@functools.cache
def _pg_bindir() -> Path:
    """pg_config's, else the newest /usr/lib/postgresql/<version>/bin (Debian's pg_config may be absent)."""
    candidates = []
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(done.stdout.strip())
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(Path(path).parent.name), reverse=True
    )
    for candidate in candidates:
        if candidate and all((Path(candidate) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found")


def _pg_tool(tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(_pg_bindir() / tool), *args]
    if os.geteuid() == 0:  # the server refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    # cwd: somewhere the postgres user may enter, whatever the caller's directory is.
    done = subprocess.run(command, capture_output=True, text=True, cwd="/", check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def pg_settings() -> dict[str, str]:
    """What the cluster runs with beyond PostgreSQL's defaults: memory and WAL, nothing that
    changes the planner's choices."""
    memory_mb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1]) // 1024
    return {
        "port": str(PG_PORT),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(PGDATA),  # not the system server's socket directory
        # A quarter of RAM, as for a dedicated database host: the database stays in memory
        # that reclaim cannot take (see the module docstring).
        "shared_buffers": f"{max(128, memory_mb // 4)}MB",
        # Seeding writes gigabytes: with the default 1GB, checkpoints run all through it.
        "max_wal_size": "4GB",
    }


def _postgres_running() -> bool:
    return (PGDATA / "PG_VERSION").exists() and _pg_tool(
        "pg_ctl", "status", "-D", str(PGDATA), check=False
    ).returncode == 0


def start_postgres() -> None:
    """initdb the cluster if it has no data yet, start it if it is not running."""
    if not (PGDATA / "PG_VERSION").exists():
        if os.geteuid() == 0:
            PGDATA.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.chown(PGDATA, "postgres", "postgres")
        print(f"Creating the benchmark's PostgreSQL cluster in {PGDATA}", flush=True)
        # The locale of the machine's server (Debian's default): text sorts and compares alike.
        _pg_tool(
            "initdb",
            "-D",
            str(PGDATA),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
    if _postgres_running():
        # Left running by an interrupted run, with the settings it was started with (the
        # report records them); stopped at the end of this run.
        print(f"The benchmark's PostgreSQL in {PGDATA} is already running", flush=True)
        return
    # pg_ctl hands -o to a shell: quoted, a BENCH_PGDATA with spaces stays one value.
    options = " ".join(f"-c {shlex.quote(f'{name}={value}')}" for name, value in pg_settings().items())
    # -t 600: after an interrupted seeding, recovery replays up to max_wal_size of WAL.
    _pg_tool("pg_ctl", "start", "-w", "-t", "600", "-D", str(PGDATA), "-l", str(PGDATA / "server.log"), "-o", options)


def stop_postgres() -> None:
    """Stop the cluster if it runs (also after a start that failed half-way)."""
    if not _postgres_running():
        return
    # -t 600: the shutdown checkpoint writes what seeding left dirty in shared buffers.
    _pg_tool("pg_ctl", "stop", "-m", "fast", "-w", "-t", "600", "-D", str(PGDATA))


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        [
            str(_pg_bindir() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# --- Redis --------------------------------------------------------------------------------


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


# Every table, index and TOAST table of the database, read into shared buffers.
PREWARM = """
SELECT coalesce(sum(pg_prewarm(c.oid)), 0)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'i', 't', 'm') AND n.nspname IN ('public', 'pg_toast') AND c.relpersistence = 'p'
"""


def prewarm(database: str) -> dict[str, object]:
    started = time.perf_counter()
    psql("CREATE EXTENSION IF NOT EXISTS pg_prewarm", database)
    blocks = int(psql(PREWARM, database))
    seconds = round(time.perf_counter() - started, 2)
    megabytes = round(blocks * int(psql("SHOW block_size")) / 2**20)
    print(f"Prewarmed {database}: {megabytes} MB into shared buffers in {seconds} s", flush=True)
    return {"seconds": seconds, "blocks": blocks, "mb": megabytes}
