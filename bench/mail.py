"""The email channel's benchmarks (issue 19, point 10), run by bench.run on the seeded database.

- `thread` — which ticket an email belongs to, by the Message-IDs it names: 1,000 lookups of
  `tickets.threading.ticket_for_message_ids` (half name a known id, half only unknown ones) and
  of `mail.threading.find_ticket` on parsed emails, among the seed's Message-IDs (one per
  message: 2.5 million at full scale).
- `mail` — ingest from a local IMAP server (bench.imap_server: Debian's dovecot). A mixed
  corpus (CORPUS_MIX: new tickets plain, HTML-only and in Cyrillic charsets, a few with
  attachments; customers' replies threading through In-Reply-To/References or the signed
  Reply-To address, quoted Gmail- and Outlook-style; replies to closed tickets, which open
  follow-ups; a colleague's answer, which becomes an internal note; out-of-office
  auto-replies) is APPENDed to the INBOX (not timed); then one process, as a worker would,
  calls `mail.imap.poll_mailbox` until every email is in: messages/s is the count over the
  polls' wall time, login to logout, threading looked up in the seeded database. Then the
  idle poll: `poll_mailbox` of a mailbox with nothing in it, 20 times after a first one,
  login included (and, for comparison, of the INBOX with everything already taken).

`python -m bench.mail poll|idle <mailbox id> <count>` is the polling process.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.db import connection

from bench import env as bench_env
from bench.scales import Scale
from bench.stats import summary

SEED = 20261205
LOOKUPS = 1000
INGEST = {"small": 200, "full": 2000}
IDLE_POLLS = 20
IMAP_PASSWORD_ENV = "BENCH_IMAP_PASSWORD"  # noqa: S105 - the variable's name

# What the INBOX gets, in percent, and what each kind must become (InboundEmail.outcome).
CORPUS_MIX: dict[str, tuple[int, str]] = {
    "new_plain": (28, "ticket"),
    "new_html": (10, "ticket"),
    "new_cyrillic": (5, "ticket"),
    "new_attachments": (3, "ticket"),
    "reply_in_reply_to": (25, "reply"),
    "reply_signed_address": (14, "reply"),
    "reply_to_closed": (5, "ticket"),
    "colleague_note": (3, "note"),
    "auto_reply": (7, "automatic"),
}


def _sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


# --- thread lookup --------------------------------------------------------------------------


def _unknown_id(rng: random.Random) -> str:
    """A Message-ID the helpdesk has never seen, shaped like a mail client's."""
    return f"CA+{rng.getrandbits(128):032x}{rng.getrandbits(32):08x}@mail.gmail.com"


def _id_sets(rng: random.Random, known: list[str]) -> list[tuple[list[str], bool]]:
    """LOOKUPS lists of ids as emails carry them (In-Reply-To + References, 1 to 4 ids),
    half with one known id among unknown ones, half all unknown; and whether a ticket must be found."""
    sets = []
    for n in range(LOOKUPS):
        ids = [_unknown_id(rng) for _ in range(rng.randint(0, 3))]
        hit = n % 2 == 0
        if hit:
            ids.insert(rng.randint(0, len(ids)), known[n // 2 % len(known)])
        elif not ids:
            ids = [_unknown_id(rng)]
        sets.append((ids, hit))
    rng.shuffle(sets)
    return sets


def _timed(call, arguments) -> list[float]:
    timings = []
    for argument in arguments:
        started = time.perf_counter()
        call(argument)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def bench_thread(scale: Scale, env: dict[str, str]) -> dict[str, object]:
    from django.test.utils import CaptureQueriesContext

    from mail.parsing import parse
    from mail.threading import find_ticket
    from tickets.threading import reply_address, ticket_for_message_ids

    rng = random.Random(SEED)
    known = [
        row[0] for row in _sql("SELECT email_id FROM tickets_threadmessageid ORDER BY random() LIMIT %s", [LOOKUPS])
    ]
    if not known:
        raise RuntimeError("tickets_threadmessageid is empty: the seed writes one Message-ID per message")
    sets = _id_sets(rng, known)
    _timed(ticket_for_message_ids, [ids for ids, _ in sets[:100]])  # warm: plans, caches
    found = [ticket_for_message_ids(ids) is not None for ids, _ in sets]
    wrong = sum(found_one != hit for found_one, (_, hit) in zip(found, sets, strict=True))
    lookups = _timed(ticket_for_message_ids, [ids for ids, _ in sets])

    # find_ticket on parsed emails: a third by the signed reply address, a third by
    # In-Reply-To/References, a third matching nothing (a new thread, subject without [#id]).
    tickets = [row[0] for row in _sql("SELECT id FROM tickets_ticket ORDER BY random() LIMIT %s", [LOOKUPS // 3])]
    emails = []
    for n in range(LOOKUPS):
        message = EmailMessage()
        message["From"] = f"Customer <customer{n}@example.com>"
        message["Subject"] = "Re: your request"
        message["Message-ID"] = make_msgid(domain="mail.example.org")
        ids, _ = sets[n]
        if n % 3 == 0:
            message["To"] = reply_address(tickets[n // 3 % len(tickets)])
        else:
            message["To"] = "support@example.com"
            message["In-Reply-To"] = f"<{ids[-1]}>"
            message["References"] = " ".join(f"<{value}>" for value in ids)
        message.set_content("Thanks, that helped.\n")
        emails.append(parse(message.as_bytes()))
    _timed(find_ticket, emails[:100])
    finds = _timed(find_ticket, emails)
    with CaptureQueriesContext(connection) as queries:
        ticket_for_message_ids(sets[0][0])
    statement = queries.captured_queries[-1]["sql"]
    plan = "\n".join(row[0] for row in _sql("EXPLAIN (ANALYZE, BUFFERS) " + statement))
    rows = _sql("SELECT count(*) FROM tickets_threadmessageid")[0][0]
    print(
        f"  ticket_for_message_ids: p50 {summary(lookups)['median']:.3f} ms, p95 {summary(lookups)['p95']:.3f} ms "
        f"among {rows:,} Message-IDs; find_ticket p95 {summary(finds)['p95']:.3f} ms; wrong answers {wrong}",
        flush=True,
    )
    return {
        "thread_lookup_ms": summary(lookups, 3),
        "thread_find_ticket_ms": summary(finds, 3),
        "thread_lookup_context": {
            "thread_message_ids": rows,
            "lookups": len(lookups),
            "with_a_known_id": sum(hit for _, hit in sets),
            "wrong_answers": wrong,
            "statement": statement,
            "plan": plan,
        },
    }


# --- the corpus -----------------------------------------------------------------------------


def _fixtures(count: int) -> dict[str, list[tuple]]:
    """Tickets the replies go to: open ones with one of our outgoing Message-IDs, closed ones."""
    open_tickets = _sql(
        """
        SELECT DISTINCT ON (t.id) t.id, t.customer_email, t.customer_name, t.subject, m.email_id
          FROM (SELECT id FROM tickets_ticket WHERE status IN ('open', 'pending') ORDER BY random() LIMIT %s) AS pick
          JOIN tickets_ticket t ON t.id = pick.id
          JOIN tickets_threadmessageid m ON m.ticket_id = t.id AND m.outgoing
         ORDER BY t.id, m.created_at DESC
        """,
        [count],
    )
    closed_tickets = _sql(
        """
        SELECT DISTINCT ON (t.id) t.id, t.customer_email, t.customer_name, t.subject, m.email_id
          FROM (SELECT id FROM tickets_ticket WHERE status = 'closed' ORDER BY random() LIMIT %s) AS pick
          JOIN tickets_ticket t ON t.id = pick.id
          JOIN tickets_threadmessageid m ON m.ticket_id = t.id AND m.outgoing
         ORDER BY t.id, m.created_at DESC
        """,
        [max(10, count // 10)],
    )
    random.Random(SEED).shuffle(open_tickets)
    return {"open": open_tickets, "closed": closed_tickets}


LINES = [
    "I cannot log in since this morning, the page says my session expired.",
    "The invoice for November shows the wrong VAT number.",
    "Exporting the monthly report to CSV gives an empty file.",
    "Our team lead needs access to the billing section.",
    "The mobile app crashes when I open the settings screen.",
    "Could you change the delivery address on order 4471?",
    "Password reset emails never arrive in my inbox.",
    "The dashboard is very slow after the last update.",
]
# Russian text: letters that look Latin are Cyrillic here (RUF001).
RUSSIAN_LINES = [
    "Здравствуйте! Не могу войти в личный кабинет, пишет, что сессия истекла.",  # noqa: RUF001
    "В счёте за ноябрь указан неверный ИНН, исправьте, пожалуйста.",  # noqa: RUF001
    "Выгрузка отчёта в CSV даёт пустой файл.",
]
RUSSIAN_SUBJECT = "Не работает вход"  # noqa: RUF001
RUSSIAN_SIGNATURE = "\n\n-- \nС уважением, Иван"  # noqa: RUF001
SIGNATURE = "\n\n-- \nBest regards,\n{name}\nSent from my phone"
QUOTED_BODY = "Hello {name}, thanks for reaching out. We are looking into it.\n\n--- reply above this line ---"


def _date(now: datetime, n: int) -> str:
    return format_datetime(now - timedelta(seconds=n))


def _base(kind: str, n: int, run: str, now: datetime, sender: tuple[str, str], subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{sender[1]} <{sender[0]}>"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Date"] = _date(now, n)
    message["Message-ID"] = f"<bench.{run}.{n}.{kind}@mail.example.org>"
    return message


def _gmail_quote(text: str, name: str, now: datetime) -> str:
    header = f"On {now:%a, %d %b %Y} at {now:%H:%M}, Support <support@example.com> wrote:"
    quoted = "\n".join("> " + line for line in text.splitlines())
    return f"{header}\n{quoted}"


def _outlook_quote(text: str, subject: str, now: datetime) -> str:
    return (
        "________________________________\n"
        "From: Support <support@example.com>\n"
        f"Sent: {now:%A, %B %d, %Y %H:%M}\n"
        "To: you\n"
        f"Subject: {subject}\n\n"
        f"{text}"
    )


def _png(rng: random.Random, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + rng.randbytes(size)


def _pdf(rng: random.Random, size: int) -> bytes:
    return b"%PDF-1.4\n" + rng.randbytes(size) + b"\n%%EOF\n"


def corpus(count: int, run: str, now: datetime, fixtures: dict[str, list[tuple]]) -> tuple[list[bytes], dict]:
    """`count` raw emails of CORPUS_MIX's kinds, shuffled; and how many of each outcome to expect."""
    from tickets.threading import reply_address

    rng = random.Random(SEED)
    kinds = [kind for kind, (share, _) in CORPUS_MIX.items() for _ in range(round(count * share / 100))]
    kinds = (kinds + ["new_plain"] * count)[:count]
    rng.shuffle(kinds)
    open_tickets = iter(fixtures["open"])
    closed_tickets = iter(fixtures["closed"] * 10)
    emails: list[bytes] = []
    expected: dict[str, int] = {}
    for n, kind in enumerate(kinds):
        expected[CORPUS_MIX[kind][1]] = expected.get(CORPUS_MIX[kind][1], 0) + 1
        line = rng.choice(LINES)
        if kind.startswith("new_"):
            sender = (f"sender{n}.{run}@example.org", f"Bench Sender {n}")
            message = _base(kind, n, run, now, sender, line.split(",")[0].rstrip("."))
            text = f"Hello,\n\n{line}\n{rng.choice(LINES)}" + SIGNATURE.format(name=sender[1])
            if kind == "new_plain":
                message.set_content(text)
            elif kind == "new_html":
                html = (
                    f"<html><body><div dir='ltr'><p>Hello,</p><p><b>{line}</b></p>"
                    f"<p>{rng.choice(LINES)}</p><div class='gmail_signature'>{sender[1]}</div></div></body></html>"
                )
                message.set_content(html, subtype="html")
            elif kind == "new_cyrillic":
                del message["Subject"]
                message["Subject"] = RUSSIAN_SUBJECT
                charset = "koi8-r" if n % 2 else "windows-1251"
                body = "\n".join(rng.sample(RUSSIAN_LINES, 2)) + RUSSIAN_SIGNATURE
                message.set_content(body.encode(charset), maintype="text", subtype="plain", cte="8bit")
                message.set_param("charset", charset)
            else:  # new_attachments: a screenshot and a PDF, as portal uploads would have them
                message.set_content(text)
                message.add_attachment(_png(rng, 40_000), maintype="image", subtype="png", filename="screenshot.png")
                message.add_attachment(_pdf(rng, 60_000), maintype="application", subtype="pdf", filename="invoice.pdf")
        elif kind == "reply_to_closed":
            ticket_id, email, name, subject, email_id = next(closed_tickets)
            message = _base(kind, n, run, now, (email, name), f"Re: [#{ticket_id}] {subject}")
            message["In-Reply-To"] = f"<{email_id}>"
            message["References"] = f"<{email_id}>"
            message.set_content(
                f"It happens again.\n{line}\n\n" + _gmail_quote(QUOTED_BODY.format(name=name), name, now)
            )
        else:
            ticket_id, email, name, subject, email_id = next(open_tickets)
            if kind == "reply_in_reply_to":
                message = _base(kind, n, run, now, (email, name), f"Re: [#{ticket_id}] {subject}")
                message["In-Reply-To"] = f"<{email_id}>"
                message["References"] = f"<{_unknown_id(rng)}> <{email_id}>"
                quote = _gmail_quote(QUOTED_BODY.format(name=name), name, now)
                message.set_content(f"Thanks, but it still fails.\n{line}\n\n{quote}")
                if n % 2:  # a Gmail reply also carries the HTML alternative
                    message.add_alternative(
                        f"<div dir='ltr'>Thanks, but it still fails.<br>{line}</div><br>"
                        f"<div class='gmail_quote'><blockquote>{QUOTED_BODY.format(name=name)}</blockquote></div>",
                        subtype="html",
                    )
            elif kind == "reply_signed_address":
                message = _base(kind, n, run, now, (email, name), f"RE: [#{ticket_id}] {subject}")
                del message["To"]
                message["To"] = reply_address(ticket_id)
                quote = _outlook_quote(QUOTED_BODY.format(name=name), subject, now)
                message.set_content(f"Here is the information you asked for.\n{line}\n\n{quote}")
            elif kind == "colleague_note":
                colleague = (f"colleague{n}@partner.example.net", f"Colleague {n}")
                message = _base(kind, n, run, now, colleague, f"Re: [#{ticket_id}] {subject}")
                message["Cc"] = f"{name} <{email}>"
                message["In-Reply-To"] = f"<{email_id}>"
                message["References"] = f"<{email_id}>"
                message.set_content(f"Adding some context from our side: {line}")
            else:  # auto_reply: an out-of-office answer to our email
                message = _base(kind, n, run, now, (email, name), f"Automatic reply: [#{ticket_id}] {subject}")
                message["Auto-Submitted"] = "auto-replied"
                message["X-Auto-Response-Suppress"] = "All"
                message["In-Reply-To"] = f"<{email_id}>"
                message.set_content("I am out of the office until Monday with limited access to email.")
        emails.append(message.as_bytes())
    return emails, expected


# --- ingest from IMAP -----------------------------------------------------------------------


def _mailbox(name: str, username: str, port: int):
    from mail.models import Mailbox
    from tickets.models import Category

    category = Category.objects.order_by("id").first()
    mailbox, _ = Mailbox.objects.update_or_create(
        name=name,
        defaults={
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": username,
            "password_env": IMAP_PASSWORD_ENV,
            "folder": "INBOX",
            "category": category,
            "after_import": "seen",
            "uid_validity": None,
            "last_uid": 0,
            "last_error": "",
        },
    )
    return mailbox


def _append(port: int, username: str, emails: list[bytes]) -> None:
    from imapclient import IMAPClient

    from bench.imap_server import USERS

    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=30) as client:
        client.login(username, USERS[username])
        for raw in emails:
            client.append("INBOX", raw)
        client.logout()


def _probe(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.mail", *args], env=env, cwd=bench_env.ROOT, capture_output=True, text=True
    )
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode != 0:
        raise RuntimeError(f"python -m bench.mail {' '.join(args)} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_mail(scale: Scale, env: dict[str, str]) -> dict[str, object]:
    from django.db.models import Count

    from bench.imap_server import USERS, Dovecot
    from mail.models import InboundEmail

    count = INGEST[scale.name]
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    emails, expected = corpus(count, run, now, _fixtures(count))
    env = {**env, IMAP_PASSWORD_ENV: USERS["support@example.com"]}
    server = Dovecot(bench_env.IMAP_PORT).start()
    try:
        inbox = _mailbox("bench-inbox", "support@example.com", server.port)
        empty = _mailbox("bench-empty", "empty@example.com", server.port)
        appended = time.perf_counter()
        _append(server.port, "support@example.com", emails)
        appended = time.perf_counter() - appended
        first_row = _sql("SELECT coalesce(max(id), 0) FROM mail_inboundemail")[0][0]
        speed = machine_speed_ms()
        commits = _commits()
        postmaster = int((bench_env.PGDATA / "postmaster.pid").read_text().split()[0])
        master = int((server.directory / "run" / "master.pid").read_text().split()[0])
        db_cpu, imap_cpu = _tree_cpu(postmaster), _tree_cpu(master)
        ingest = _probe(env, "poll", str(inbox.pk), str(count))
        commits = _commits() - commits  # after its pause: the poller's backend has ended and been reaped
        db_cpu, imap_cpu = _tree_cpu(postmaster) - db_cpu, _tree_cpu(master) - imap_cpu
        idle = _probe(env, "idle", str(empty.pk), str(IDLE_POLLS))
        idle_inbox = _probe(env, "idle", str(inbox.pk), str(IDLE_POLLS))
    finally:
        server.stop()
    outcomes = dict(
        InboundEmail.objects.filter(pk__gt=first_row, mailbox_id=inbox.pk)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    rate = ingest["fetched"] / ingest["seconds"]
    if outcomes != expected or ingest["errors"]:
        # The figure is then not the one asked for: say so loudly (the run goes on).
        print(f"  WARNING: the corpus did not land as it should: {outcomes} != {expected}; {ingest['errors']}")
    print(
        f"  ingest: {ingest['fetched']} emails in {ingest['seconds']:.2f} s = {rate:.1f}/s "
        f"({ingest['polls']} polls; APPEND took {appended:.1f} s, not counted); outcomes {outcomes}, "
        f"expected {expected}; per email: {ingest['statements'] / count:.1f} statements, "
        f"{commits / count:.2f} commits, CPU {ingest['cpu_seconds'] * 1000 / count:.1f} ms in the poller "
        f"+ {db_cpu * 1000 / count:.1f} ms in PostgreSQL; machine speed {speed} ms (lower is faster)",
        flush=True,
    )
    print(
        f"  idle poll, empty mailbox: p50 {idle['ms']['median']:.1f} ms, p95 {idle['ms']['p95']:.1f} ms; "
        f"INBOX with everything taken: p50 {idle_inbox['ms']['median']:.1f} ms",
        flush=True,
    )
    return {
        "mail_ingest_per_second": {"median": round(rate, 1), "runs": 1},
        "mail_idle_poll_ms": idle["ms"],
        "mail_idle_poll_taken_inbox_ms": idle_inbox["ms"],
        "mail_ingest_context": {
            "emails": count,
            "fetched": ingest["fetched"],
            "imported": ingest["imported"],
            "seconds": round(ingest["seconds"], 2),
            "polls": ingest["polls"],
            "errors": ingest["errors"],
            "outcomes": outcomes,
            "expected_outcomes": expected,
            "corpus_mix_percent": {kind: share for kind, (share, _) in CORPUS_MIX.items()},
            "corpus_mb": round(sum(len(raw) for raw in emails) / 2**20, 2),
            "statements_per_email": round(ingest["statements"] / max(1, ingest["fetched"]), 1),
            "commits_per_email": round(commits / max(1, ingest["fetched"]), 2),
            "poll_process_cpu_ms_per_email": round(ingest["cpu_seconds"] * 1000 / max(1, ingest["fetched"]), 2),
            "postgres_cpu_ms_per_email": round(db_cpu * 1000 / max(1, ingest["fetched"]), 2),
            "poll_process_cpu_seconds": ingest["cpu_seconds"],
            "poll_process_peak_rss_mb": ingest["peak_rss_mb"],
            "postgres_cpu_seconds": round(db_cpu, 2),  # the whole server: backends, WAL writer, autovacuum
            "dovecot_cpu_seconds": round(imap_cpu, 2),
            "append_seconds_not_counted": round(appended, 2),
            "machine_speed_ms": speed,  # machine_speed_ms(): lower is faster
        },
    }


def machine_speed_ms() -> float:
    """A fixed pure-Python workload's time (median of 7), taken beside the ingest: this
    machine's speed varies over a day (a VM on a shared host), and the poller is CPU-bound."""

    def once() -> float:
        started = time.perf_counter()
        sum(i * i for i in range(10**6))
        return (time.perf_counter() - started) * 1000

    return round(statistics.median(once() for _ in range(7)), 1)


def _commits() -> int:
    """Transactions committed in this database so far (backends report theirs within a second)."""
    time.sleep(1.1)
    return _sql("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")[0][0]


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a server process and its children, the ended ones included (a server
    reaps its connections' processes, and their time adds to its cutime/cstime)."""
    import os
    from pathlib import Path

    ticks = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for each in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- the polling process --------------------------------------------------------------------


def _poll(mailbox_id: int, count: int) -> dict:
    """Poll until `count` emails are taken (each poll takes at most MAIL_POLL_BATCH)."""
    from mail.imap import poll_mailbox
    from mail.models import Mailbox

    mailbox = Mailbox.objects.select_related("category").get(pk=mailbox_id)
    statements = {"count": 0}

    def counted(execute, sql, params, many, context):
        statements["count"] += 1
        return execute(sql, params, many, context)

    cpu = time.process_time()
    started = time.perf_counter()
    fetched = imported = polls = 0
    errors = []
    with connection.execute_wrapper(counted):
        while fetched < count and polls < count:
            result = poll_mailbox(mailbox)
            polls += 1
            fetched += result.fetched
            imported += result.imported
            if result.error:
                errors.append(result.error)
                break
            if not result.fetched:
                break
    seconds = time.perf_counter() - started
    return {
        "statements": statements["count"],
        "fetched": fetched,
        "imported": imported,
        "polls": polls,
        "seconds": seconds,
        "errors": errors,
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _idle(mailbox_id: int, count: int) -> dict:
    """`count` polls of a mailbox with nothing new, after one that sets its UID mark."""
    from mail.imap import poll_mailbox
    from mail.models import Mailbox

    mailbox = Mailbox.objects.select_related("category").get(pk=mailbox_id)
    first = poll_mailbox(mailbox)
    if first.error:
        raise RuntimeError(first.error)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        result = poll_mailbox(mailbox)
        timings.append((time.perf_counter() - started) * 1000)
        if result.error or result.fetched:
            raise RuntimeError(f"an idle poll did something: {result}")
    return {"ms": summary(timings, 2)}


if __name__ == "__main__":
    import os

    import django

    django.setup()
    what, mailbox_id, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    profile = os.environ.get("BENCH_MAIL_PROFILE")  # a file for cProfile's stats of the ingest polls
    if profile and what == "poll":
        import cProfile

        profiler = cProfile.Profile()
        answer = profiler.runcall(_poll, mailbox_id, count)
        profiler.dump_stats(profile)
    else:
        answer = {"poll": _poll, "idle": _idle}[what](mailbox_id, count)
    print(json.dumps(answer))
