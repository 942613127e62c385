"""The soak test (`make soak`): minutes of mixed traffic against the production stack, on loopback.

1. A fresh PostgreSQL database (helpdesk_soak) and Redis database 9, migrated, with
   `seed_demo`, a few thousand more tickets, and tickets that become overdue minute by
   minute while the soak runs (soak/seed.py).
2. Delivery targets on loopback: a fake Slack webhook (HTTP) and an SMTP server (aiosmtpd),
   both counting what they receive.
3. gunicorn (gunicorn.conf.py, its default workers for this machine's cores; worker
   recycling off so a leak shows), a Celery worker and Celery beat (SLA scan and outbox
   sweep every minute) on PostgreSQL + Redis.
4. soak/traffic.py, in its own process, drives mixed API and page traffic at a steady rate
   for SOAK_SECONDS (default 600); RSS of the web and worker processes is sampled
   meanwhile.
5. Afterwards the outbox must drain, and every row must have been delivered exactly once:
   each email row's id (X-Helpdesk-Notification) seen once by the SMTP server, each Slack
   row's alert once by the fake Slack; in-app rows are delivered by being written.
6. A table on stdout and JSON in soak/results/soak-<time>.json. Every process started is
   stopped and the database dropped, whatever happens. Exit status 0 only if the soak
   passed: no errors, RSS growth after warm-up within 20 %, every notification delivered
   exactly once.

Ports 18300-18302 on 127.0.0.1; environment: SOAK_SECONDS, SOAK_RATE (requests per
second, default 15), SOAK_OVERDUE (tickets becoming overdue, default 10 per minute),
SOAK_DATABASE_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres),
SOAK_REDIS_URL (default redis://127.0.0.1:6379/9).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any

import psycopg
import redis

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PYTHON = sys.executable
WEB_PORT, SLACK_PORT, SMTP_PORT = 18300, 18301, 18302
DATABASE = "helpdesk_soak"
ADMIN_URL = os.environ.get("SOAK_DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/9")
RSS_GROWTH_LIMIT = 20.0  # per cent, after warm-up
SAMPLE_SECONDS = 5.0


def log(message: str) -> None:
    print(f"[soak {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- Delivery targets -----------------------------------------------------------------


class Receivers:
    """A fake Slack webhook and an SMTP server on loopback that count what they receive."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.slack_titles: Counter[str] = Counter()
        self.email_rows: Counter[str] = Counter()
        self.emails_without_row = 0
        self.lock = threading.Lock()
        receivers = self

        class Slack(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                text = body.get("text", "")
                # slack_message() writes "<emoji> *<title>*\n...": the title names the ticket,
                # the kind and breach or warning, which the scan records once each.
                title = text.split("*", 2)[1] if text.count("*") >= 2 else text
                with receivers.lock:
                    receivers.slack_titles[title] += 1
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        class Smtp:
            async def handle_DATA(self, server, session, envelope):
                row = message_from_bytes(envelope.content).get("X-Helpdesk-Notification")
                with receivers.lock:
                    if row:
                        receivers.email_rows[row] += 1
                    else:
                        receivers.emails_without_row += 1
                return "250 Message accepted for delivery"

        self.slack = http.server.ThreadingHTTPServer(("127.0.0.1", SLACK_PORT), Slack)
        self.slack.daemon_threads = True
        threading.Thread(target=self.slack.serve_forever, daemon=True).start()
        self.smtp = Controller(Smtp(), hostname="127.0.0.1", port=SMTP_PORT)
        self.smtp.start()

    def close(self) -> None:
        self.slack.shutdown()
        self.slack.server_close()
        self.smtp.stop()


# --- Processes and their memory ---------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """The process and all its children, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(parents.get(current, []))
    return found


def rss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


class Sampler(threading.Thread):
    def __init__(self, groups: dict[str, subprocess.Popen], started: float) -> None:
        super().__init__(daemon=True)
        self.groups = groups
        self.started = started
        self.samples: list[dict[str, float]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            sample = {"t": round(time.monotonic() - self.started, 1)}
            for name, process in self.groups.items():
                pids = descendants(process.pid)
                sample[name] = round(rss_mib(pids), 1)
                sample[f"{name}_processes"] = len(pids)
            self.samples.append(sample)
            self.stopping.wait(SAMPLE_SECONDS)


def start(command: list[str], env: dict[str, str], logfile: Path) -> subprocess.Popen:
    handle = logfile.open("w")
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop on SIGTERM; killing it")
        process.kill()
        process.wait(timeout=10)


def manage(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *arguments], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_until(condition, timeout: float, interval: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: S110 - not ready yet
            pass
        time.sleep(interval)
    return False


# --- Database ------------------------------------------------------------------------------


def admin_execute(statement: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(statement)


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


def query(sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(database_url()) as db:
        return db.execute(sql, params).fetchall()


# --- Figures ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def per_minute(records: list[dict]) -> list[dict]:
    minutes: dict[int, list[dict]] = {}
    for record in records:
        minutes.setdefault(int(record["t"] // 60), []).append(record)
    rows = []
    for minute in sorted(minutes):
        batch = minutes[minute]
        latencies = [r["ms"] for r in batch]
        rows.append(
            {
                "minute": minute + 1,
                "requests": len(batch),
                "errors": sum(1 for r in batch if "error" in r),
                "p50_ms": round(percentile(latencies, 0.50), 1),
                "p95_ms": round(percentile(latencies, 0.95), 1),
                "max_ms": round(max(latencies), 1),
            }
        )
    return rows


def rss_growth(samples: list[dict], name: str, warmup: float, end: float) -> dict[str, float]:
    """Median RSS in the minute after warm-up against the median of the last minute."""
    after_warmup = [s[name] for s in samples if warmup <= s["t"] < warmup + 60]
    last_minute = [s[name] for s in samples if end - 60 <= s["t"] <= end]
    baseline = statistics.median(after_warmup) if after_warmup else 0.0
    final = statistics.median(last_minute) if last_minute else 0.0
    growth = (final - baseline) / baseline * 100 if baseline else 0.0
    peak = max((s[name] for s in samples), default=0.0)
    return {
        "after_warmup_mib": round(baseline, 1),
        "end_mib": round(final, 1),
        "peak_mib": peak,
        "growth_pct": round(growth, 1),
    }


def deliveries(receivers: Receivers) -> dict[str, Any]:
    # SLA alerts carry facts (notifications.payloads): their title is worked out as slack_message shows it.
    rows = query(
        """
        SELECT n.id, n.channel, n.recipient, n.status,
               COALESCE(n.payload->>'title',
                        CASE split_part(n.kind, '.', 2) WHEN 'violation' THEN 'SLA breached: ' ELSE 'SLA at risk: ' END
                        || replace(split_part(n.kind, '.', 3), '_', ' ') || ' on #' || (n.payload->>'ticket_id')
                        || COALESCE(' ' || t.subject, ''))
          FROM notifications_notification n
          LEFT JOIN tickets_ticket t ON n.kind LIKE 'sla.%%' AND t.id = (n.payload->>'ticket_id')::bigint
        """
    )
    by_status = Counter((channel, status) for _, channel, _, status, _ in rows)
    email_ids = {str(pk) for pk, channel, *_ in rows if channel == "email"}
    slack_titles = Counter(title for _, channel, _, _, title in rows if channel == "slack")
    with receivers.lock:
        email_seen, slack_seen = Counter(receivers.email_rows), Counter(receivers.slack_titles)
        without_row = receivers.emails_without_row

    def compare(expected: Counter, seen: Counter) -> dict[str, int]:
        return {
            "expected": sum(expected.values()),
            "delivered": sum(min(expected[key], seen[key]) for key in expected),
            "missing": sum(max(0, expected[key] - seen[key]) for key in expected),
            "duplicates": sum(max(0, seen[key] - expected[key]) for key in expected),
            "unexpected": sum(count for key, count in seen.items() if key not in expected),
        }

    dashboard = sum(1 for _, channel, *_ in rows if channel == "dashboard")
    recipients = Counter((channel, recipient) for _, channel, recipient, _, _ in rows)
    email = compare(Counter(email_ids), email_seen)
    email["unexpected"] += without_row  # an email that names no outbox row came from nowhere
    return {
        "rows_by_channel_status": {f"{c}/{s}": n for (c, s), n in sorted(by_status.items())},
        "email": email,
        "slack": compare(slack_titles, slack_seen),
        "dashboard": {
            "expected": dashboard,
            "delivered": by_status.get(("dashboard", "sent"), 0),
            "missing": dashboard - by_status.get(("dashboard", "sent"), 0),
            "duplicates": 0,
            "unexpected": 0,
        },
        "recipients": len(recipients),
    }


def print_summary(result: dict[str, Any]) -> None:
    print()
    print(f"Soak test: {result['seconds']} s at {result['rate']} requests/s, {result['web_workers']} web workers")
    print(f"{'minute':>6} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for row in result["per_minute"]:
        print(
            f"{row['minute']:>6} {row['requests']:>9} {row['errors']:>7} "
            f"{row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_ms']:>8}"
        )
    totals = result["requests"]
    print(f"{'all':>6} {totals['count']:>9} {totals['errors']:>7} {totals['p50_ms']:>8} {totals['p95_ms']:>8}")
    print()
    print(f"{'process':<8} {'after warm-up MiB':>18} {'end MiB':>9} {'peak MiB':>9} {'growth %':>9}")
    for name, figures in result["rss"].items():
        print(
            f"{name:<8} {figures['after_warmup_mib']:>18} {figures['end_mib']:>9} "
            f"{figures['peak_mib']:>9} {figures['growth_pct']:>9}"
        )
    print()
    print(f"{'channel':<10} {'expected':>9} {'delivered':>10} {'missing':>8} {'duplicates':>11} {'unexpected':>11}")
    for channel in ("email", "slack", "dashboard"):
        figures = result["notifications"][channel]
        print(
            f"{channel:<10} {figures['expected']:>9} {figures['delivered']:>10} {figures['missing']:>8} "
            f"{figures['duplicates']:>11} {figures['unexpected']:>11}"
        )
    print(f"SLA: {result['sla']['overdue_tickets']} tickets became overdue, {result['sla']['breached']} recorded")
    print()
    for check, passed in result["checks"].items():
        print(f"{'PASS' if passed else 'FAIL'}  {check}")
    print(f"Result: {'PASS' if result['passed'] else 'FAIL'}  ({result['json']})")


# --- The run --------------------------------------------------------------------------------


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    rate = float(os.environ.get("SOAK_RATE", "15"))
    overdue = int(os.environ.get("SOAK_OVERDUE", str(max(5, int(seconds / 6)))))
    warmup = min(120.0, max(30.0, seconds * 0.2))
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-soak-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CACHE_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DEBUG": "false",
        "SECRET_KEY": f"soak-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SITE_URL": f"http://127.0.0.1:{WEB_PORT}",
        "HELPDESK_VAR_DIR": str(workdir / "var"),
        "STATIC_ROOT": str(workdir / "static"),
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": f"soak-{uuid.uuid4().hex[:8]}",
        "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
        "OUTGOING_URL_ALLOWLIST": "127.0.0.1",  # the local receivers (core.outbound)
        "SLACK_WEBHOOK_URL": f"http://127.0.0.1:{SLACK_PORT}/services/T0/B0/soak",
        "SLA_SCAN_INTERVAL_SECONDS": "60",
        # The traffic is one user from one address: per-caller API limits would refuse it.
        "API_USER_RATE": "",
        "API_ANON_RATE": "",
        "GUNICORN_BIND": f"127.0.0.1:{WEB_PORT}",
        "GUNICORN_MAX_REQUESTS": "0",  # no recycling: a leak must show in the RSS figures
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEB_CONCURRENCY", None)
    processes: dict[str, subprocess.Popen | None] = {"traffic": None, "beat": None, "worker": None, "web": None}
    receivers: Receivers | None = None
    sampler: Sampler | None = None
    database_created = False
    try:
        log(f"fresh database {DATABASE}, Redis {REDIS_URL}, work folder {workdir}")
        admin_execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin_execute(f"CREATE DATABASE {DATABASE}")
        database_created = True
        redis.Redis.from_url(REDIS_URL).flushdb()
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
        manage(env, "seed_demo", "--allow-production")  # a throwaway database on loopback
        receivers = Receivers()

        # Due times from one minute in until 75 s before the end: the last scan sees them all.
        now = time.time()
        settle = 20.0  # start-up of the servers below, roughly
        due_from = now + settle + 60
        due_until = max(due_from, now + settle + seconds - 75)
        seeded = json.loads(
            subprocess.run(
                [
                    PYTHON,
                    "soak/seed.py",
                    f"--overdue={overdue}",
                    f"--due-from={due_from}",
                    f"--due-until={due_until}",
                ],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        log(f"seeded: {overdue} tickets will become overdue during the run")

        processes["web"] = start(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "helpdesk.wsgi"], env, workdir / "web.log"
        )
        processes["worker"] = start(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "helpdesk",
                "worker",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=WARNING",
            ],
            env,
            workdir / "worker.log",
        )
        processes["beat"] = start(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "helpdesk",
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(workdir / "beat-schedule"),
            ],
            env,
            workdir / "beat.log",
        )
        base = f"http://127.0.0.1:{WEB_PORT}"
        if not wait_until(lambda: urllib.request.urlopen(f"{base}/api/health", timeout=5).status == 200, 60):
            raise RuntimeError("the web server did not become healthy within 60 s")
        web_workers = len(descendants(processes["web"].pid)) - 1
        log(f"gunicorn ({web_workers} workers), Celery worker and beat are up; traffic for {seconds:g} s at {rate:g}/s")

        traffic_started = time.monotonic()
        sampler = Sampler({"web": processes["web"], "worker": processes["worker"]}, traffic_started)
        sampler.start()
        requests_file = workdir / "requests.jsonl"
        processes["traffic"] = start(
            [
                PYTHON,
                "soak/traffic.py",
                f"--base={base}",
                f"--token={seeded['token']}",
                f"--seconds={seconds}",
                f"--rate={rate}",
                f"--out={requests_file}",
            ],
            env,
            workdir / "traffic.log",
        )
        while processes["traffic"].poll() is None:
            time.sleep(5)
            for name in ("web", "worker", "beat"):
                if processes[name].poll() is not None:
                    raise RuntimeError(f"{name} exited during the soak; see {workdir / (name + '.log')}")
        traffic_seconds = time.monotonic() - traffic_started
        sampler.stopping.set()
        if processes["traffic"].returncode != 0:
            raise RuntimeError(f"traffic failed: {(workdir / 'traffic.log').read_text()[-3000:]}")
        records = [json.loads(line) for line in requests_file.read_text().splitlines()]

        log("traffic done; waiting for the last SLA scan and for the outbox to drain")
        overdue_ids = seeded["overdue_ids"]

        def breached() -> int:
            return query(
                "SELECT count(*) FROM sla_slaviolation WHERE kind = 'first_response' AND ticket_id = ANY(%s)",
                (overdue_ids,),
            )[0][0]

        wait_until(lambda: breached() == len(overdue_ids), 150, interval=2)

        def drained() -> bool:
            pending = query("SELECT count(*) FROM notifications_notification WHERE status IN ('pending', 'failed')")
            return pending[0][0] == 0

        drained_in_time = wait_until(drained, 180, interval=2)
        time.sleep(3)  # anything still in flight reaches the receivers
        notifications = deliveries(receivers)

        errors = [r for r in records if "error" in r]
        latencies = [r["ms"] for r in records]
        rss = {name: rss_growth(sampler.samples, name, warmup, traffic_seconds) for name in ("web", "worker")}
        channels = [notifications[c] for c in ("email", "slack", "dashboard")]
        checks = {
            "traffic at the planned rate (95 %)": len(records) >= 0.95 * seconds * rate,
            "0 request errors": not errors,
            f"RSS growth after warm-up within {RSS_GROWTH_LIMIT:g} %": all(
                r["growth_pct"] <= RSS_GROWTH_LIMIT for r in rss.values()
            ),
            "outbox drained": drained_in_time,
            "every overdue ticket breached and recorded": breached() == len(overdue_ids),
            "every notification delivered exactly once": all(
                c["missing"] == 0 and c["duplicates"] == 0 and c["unexpected"] == 0 for c in channels
            ),
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        output = RESULTS_DIR / f"soak-{stamp}.json"
        result = {
            "started": stamp,
            "seconds": seconds,
            "traffic_seconds": round(traffic_seconds, 1),
            "rate": rate,
            "web_workers": web_workers,
            "cpus": os.cpu_count(),
            "warmup_seconds": warmup,
            "requests": {
                "count": len(records),
                "errors": len(errors),
                "p50_ms": round(percentile(latencies, 0.5), 1),
                "p95_ms": round(percentile(latencies, 0.95), 1),
                "by_endpoint": dict(Counter(r["name"] for r in records)),
                "first_errors": errors[:20],
            },
            "per_minute": per_minute(records),
            "rss": rss,
            "rss_samples": sampler.samples,
            "notifications": notifications,
            "sla": {"overdue_tickets": len(overdue_ids), "breached": breached()},
            "checks": checks,
            "passed": all(checks.values()),
            "json": str(output.relative_to(BASE_DIR)),
        }
        output.write_text(json.dumps(result, indent=2) + "\n")
        print_summary(result)
        return 0 if result["passed"] else 1
    finally:
        if sampler is not None:
            sampler.stopping.set()
        for name in ("traffic", "beat", "worker", "web"):
            stop(processes[name], name)
        if receivers is not None:
            receivers.close()
        if database_created:
            admin_execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(REDIS_URL).flushdb()
        if os.environ.get("SOAK_KEEP_LOGS"):
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        log("stopped every process, dropped the database")


if __name__ == "__main__":
    sys.exit(main())
