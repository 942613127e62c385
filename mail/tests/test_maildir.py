"""The Maildir route (MAIL_MAILDIR, var/maildir under `make run`) and the beat task that polls
it with the IMAP mailboxes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpdesk.celery import beat_schedule
from mail import tasks
from mail.ingest import original_bytes
from mail.maildir import MAILDIR_SETTLE_SECONDS, poll_maildir
from mail.models import InboundEmail, Outcome
from mail.tests.dovecot import simple_email
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def drop(maildir: Path, name: str, raw: bytes, *, sub: str = "new", age: float = 5.0) -> Path:
    """A file put in the Maildir `age` seconds ago."""
    path = maildir / sub / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_an_eml_file_dropped_in_new_becomes_a_ticket_and_goes(tmp_path, category):
    maildir = tmp_path / "maildir"
    dropped = drop(maildir, "printer.eml", simple_email(subject="Dropped in"))
    in_cur = drop(maildir, "1733390000.M1P2.host:2,S", simple_email(subject="Read by a mail client"), sub="cur")
    writing = drop(maildir, "being-written.eml", simple_email(subject="Half written"), age=0)
    hidden = drop(maildir, ".hidden.eml", simple_email(subject="Hidden"))
    in_tmp = drop(maildir, "delivering", simple_email(subject="In tmp"), sub="tmp")

    result = poll_maildir(maildir)

    assert (result.taken, result.imported, result.waiting, result.error) == (2, 2, 1, "")
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Dropped in", "Read by a mail client"]
    ticket = Ticket.objects.get(subject="Dropped in")
    assert ticket.category == category and ticket.channel == Ticket.Channel.EMAIL
    assert set(InboundEmail.objects.values_list("route", flat=True)) == {"maildir"}
    assert not dropped.exists() and not in_cur.exists()
    assert writing.exists() and hidden.exists() and in_tmp.exists()

    # Settled: the next poll takes it.
    then = time.time() - MAILDIR_SETTLE_SECONDS - 1
    os.utime(writing, (then, then))
    assert poll_maildir(maildir).taken == 1
    assert Ticket.objects.filter(subject="Half written").exists()
    assert not writing.exists()


def test_a_file_that_is_not_an_email_is_quarantined_once_and_the_same_email_twice_is_one_ticket(tmp_path, category):
    maildir = tmp_path / "maildir"
    raw = simple_email(subject="Sent twice")
    drop(maildir, "a.eml", raw, age=10)
    drop(maildir, "b.eml", raw, age=9)
    drop(maildir, "notes.txt", b"shopping list: milk, eggs\n\x00\x01", age=8)

    result = poll_maildir(maildir)

    assert (result.taken, result.imported, result.quarantined) == (3, 2, 1)
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Sent twice"]
    quarantined = InboundEmail.objects.get(outcome=Outcome.QUARANTINED)
    assert original_bytes(quarantined).startswith(b"shopping list")
    assert InboundEmail.objects.count() == 2
    assert list((maildir / "new").iterdir()) == []
    assert poll_maildir(maildir).taken == 0


def test_a_file_too_large_is_refused_from_its_headers(tmp_path, category, settings):
    settings.MAIL_MAX_BYTES = 3000
    raw = simple_email(subject="Huge scan", body="y" * 20_000)
    path = drop(tmp_path / "maildir", "big.eml", raw)

    assert poll_maildir(tmp_path / "maildir").refused == 1

    row = InboundEmail.objects.get()
    assert (row.outcome, row.route, row.size, row.subject) == (Outcome.REFUSED, "maildir", len(raw), "Huge scan")
    assert b"yyyy" not in original_bytes(row)
    assert not Ticket.objects.exists() and not path.exists()


def test_the_beat_task_polls_the_mailboxes_and_the_maildir(tmp_path, settings, dovecot, imap_user, make_mailbox):
    settings.MAIL_MAILDIR = str(tmp_path / "var" / "maildir")  # created by the first poll
    make_mailbox(imap_user)
    dovecot.append(imap_user, simple_email(subject="By IMAP"))

    assert tasks.poll_mailboxes.delay().get() == {
        "mailboxes": 1,
        "failed": 0,
        "skipped": 0,
        "fetched": 1,
        "imported": 1,
        "maildir_taken": 0,
        "maildir_imported": 0,
    }
    assert {"new", "cur", "tmp"} <= {path.name for path in Path(settings.MAIL_MAILDIR).iterdir()}

    drop(Path(settings.MAIL_MAILDIR), "dropped.eml", simple_email(subject="By Maildir"))
    summary = tasks.poll_mailboxes.delay().get()
    assert (summary["fetched"], summary["maildir_imported"]) == (0, 1)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["By IMAP", "By Maildir"]

    entry = beat_schedule()["poll-mailboxes"]
    assert entry["task"] == tasks.poll_mailboxes.name == "mail.tasks.poll_mailboxes"
    assert entry["schedule"] == settings.MAIL_POLL_SECONDS
