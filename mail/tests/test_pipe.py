"""`manage.py ingest_email`, the MTA pipe: one email on standard input; 0 once it is recorded,
75 (EX_TEMPFAIL) when it could not be, so that the MTA keeps it and tries again."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import call_command

from conftest import BASE_DIR, production_env
from mail.ingest import original_bytes
from mail.models import InboundEmail, Outcome
from mail.tests.dovecot import simple_email
from tickets.models import Ticket


def pipe(raw: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "manage.py", "ingest_email"],
        cwd=BASE_DIR,
        env=env,
        input=raw,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_pipe_records_every_email_once_and_exits_0(tmp_path, category):
    env = production_env(tmp_path)
    raw = simple_email(subject="Through the MTA")

    first = pipe(raw, env)

    assert first.returncode == 0, first.stderr.decode()
    ticket = Ticket.objects.get()
    assert ticket.subject == "Through the MTA" and ticket.category == category
    assert first.stdout.decode().strip() == f"recorded: Opened a ticket (ticket #{ticket.pk})"
    row = InboundEmail.objects.get()
    assert (row.route, row.outcome, row.ticket) == ("pipe", Outcome.TICKET, ticket)
    assert original_bytes(row) == raw

    # The MTA delivers it again (it never saw our answer): nothing more.
    again = pipe(raw, env)
    assert again.returncode == 0, again.stderr.decode()
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1

    # Not an email: kept in quarantine, and the MTA is done with it.
    garbage = pipe(b"\x00\x01 this is no email \xff\xfe", env)
    assert garbage.returncode == 0, garbage.stderr.decode()
    quarantined = InboundEmail.objects.get(outcome=Outcome.QUARANTINED)
    assert quarantined.route == "pipe" and "no headers" in quarantined.reason
    assert Ticket.objects.count() == 1


def test_the_pipe_exits_75_when_the_database_is_unreachable(tmp_path, closed_port):
    env = production_env(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/helpdesk")

    result = pipe(simple_email(), env)

    assert result.returncode == 75
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("CommandError: temporary failure, try again later: OperationalError")


@pytest.mark.django_db
def test_an_email_too_large_is_read_to_its_end_and_refused_from_its_headers(settings, monkeypatch, category):
    settings.MAIL_MAX_BYTES = 5000
    raw = simple_email(subject="Far too big", body="z" * 3 * 1024 * 1024)
    stdin = io.BytesIO(raw)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin))
    out = io.StringIO()

    call_command("ingest_email", stdout=out)

    assert stdin.tell() == len(raw)  # the MTA sees its whole message taken
    row = InboundEmail.objects.get()
    assert (row.outcome, row.route, row.size, row.subject) == (Outcome.REFUSED, "pipe", len(raw), "Far too big")
    assert b"zzzz" not in original_bytes(row)
    assert row.acknowledged
    assert not Ticket.objects.exists()
    assert out.getvalue().strip() == "recorded: Refused (too large or too many parts)"
