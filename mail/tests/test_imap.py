"""IMAP polling against a real dovecot (mail/tests/dovecot.py): each email once, by UID, let go
of only after its rows are committed; failures recorded on the mailbox, never spreading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection
from imapclient import IMAPClient

from conftest import BASE_DIR, production_env
from mail.imap import LOCK_CLASS_MAILBOX, poll_enabled_mailboxes, poll_mailbox
from mail.ingest import ingest, original_bytes
from mail.models import InboundEmail, Mailbox, Outcome
from mail.tests.conftest import PASSWORD_ENV
from mail.tests.dovecot import PASSWORD, simple_email
from notifications.models import Notification
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db

SEEN = b"\\Seen"


def fresh(mailbox: Mailbox) -> Mailbox:
    mailbox.refresh_from_db()
    return mailbox


def other_connection() -> psycopg.Connection:
    """A database session of its own (another worker, as PostgreSQL sees it)."""
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )


def test_an_email_becomes_a_ticket_once_by_its_uid_whatever_its_flags(dovecot, imap_user, make_mailbox):
    uid = dovecot.append(imap_user, simple_email(subject="Printer on fire"))
    mailbox = make_mailbox(imap_user)

    result = poll_mailbox(mailbox)

    assert (result.error, result.fetched, result.imported) == ("", 1, 1)
    ticket = Ticket.objects.get()
    assert ticket.subject == "Printer on fire"
    assert ticket.customer_email == "carla@customer.example"
    assert ticket.channel == Ticket.Channel.EMAIL
    row = InboundEmail.objects.get()
    assert (row.route, row.mailbox, row.outcome, row.ticket) == ("imap", mailbox, Outcome.TICKET, ticket)
    assert dovecot.messages(imap_user) == {uid: {SEEN}}
    mailbox = fresh(mailbox)
    assert mailbox.last_uid == uid
    assert mailbox.uid_validity == dovecot.uid_validity(imap_user)
    assert mailbox.last_imported == 1
    assert mailbox.last_success_at is not None and not mailbox.failing
    messages = Message.objects.filter(ticket=ticket).count()

    # Unread again on the server: the UID mark, not the flag, says it was taken.
    dovecot.set_flags(imap_user, [uid], [])
    again = poll_mailbox(mailbox)
    assert (again.error, again.fetched, again.imported) == ("", 0, 0)
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(ticket=ticket).count() == messages
    assert InboundEmail.objects.count() == 1
    assert dovecot.messages(imap_user) == {uid: set()}
    assert fresh(mailbox).last_imported == 0

    # A new email, read in webmail before the poll came: still taken (its UID is new).
    second = dovecot.append(imap_user, simple_email(subject="Scanner too"), flags=(SEEN,))
    third = poll_mailbox(mailbox)
    assert (third.fetched, third.imported) == (1, 1)
    assert Ticket.objects.filter(subject="Scanner too").exists()
    assert fresh(mailbox).last_uid == second


def test_the_first_poll_takes_unread_mail_only(dovecot, imap_user, make_mailbox):
    """Mail read before the helpdesk came is history, not a flood of new tickets."""
    old = dovecot.append(imap_user, simple_email(subject="Read last year"), flags=(SEEN,))
    new = dovecot.append(imap_user, simple_email(subject="Unread"))
    mailbox = make_mailbox(imap_user)

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.imported) == (1, 1)
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Unread"]
    assert fresh(mailbox).last_uid == new
    assert poll_mailbox(mailbox).fetched == 0
    assert dovecot.messages(imap_user) == {old: {SEEN}, new: {SEEN}}


def test_a_poll_takes_at_most_mail_poll_batch_emails_and_the_next_one_the_rest(
    dovecot, imap_user, make_mailbox, settings
):
    settings.MAIL_POLL_BATCH = 2
    for number in range(3):
        dovecot.append(imap_user, simple_email(subject=f"Early {number}"))
    mailbox = make_mailbox(imap_user)

    # The first poll (unread mail only) over two polls; then new mail by UID over two.
    assert [poll_mailbox(mailbox).fetched for _ in range(3)] == [2, 1, 0]
    uids = [dovecot.append(imap_user, simple_email(subject=f"Later {number}")) for number in range(3)]
    assert [poll_mailbox(mailbox).fetched for _ in range(3)] == [2, 1, 0]

    assert Ticket.objects.count() == InboundEmail.objects.count() == 6
    assert fresh(mailbox).last_uid == uids[-1]


def test_the_uid_mark_moves_past_emails_deleted_before_they_were_polled(dovecot, imap_user, make_mailbox):
    dovecot.append(imap_user, simple_email())
    mailbox = make_mailbox(imap_user)
    assert poll_mailbox(mailbox).fetched == 1
    gone = dovecot.append(imap_user, simple_email(subject="Deleted in webmail at once"))
    client = dovecot.client(imap_user)
    client.select_folder("INBOX")
    client.delete_messages([gone])
    client.uid_expunge([gone])
    client.logout()

    assert poll_mailbox(mailbox).fetched == 0

    # UID SEARCH <gone>:* answers the highest UID left (the first email's): not taken again,
    # and the mark is past the gap, so the next idle poll needs no search.
    assert Ticket.objects.count() == 1
    assert fresh(mailbox).last_uid == gone


@pytest.mark.parametrize(
    ("after_import", "move_to", "inbox", "moved"),
    [
        (Mailbox.AfterImport.SEEN, "", {SEEN}, None),
        (Mailbox.AfterImport.MOVE, "Imported", None, set()),
        (Mailbox.AfterImport.DELETE, "", None, None),
    ],
)
def test_after_import(dovecot, imap_user, make_mailbox, after_import, move_to, inbox, moved):
    uid = dovecot.append(imap_user, simple_email())
    mailbox = make_mailbox(imap_user, after_import=after_import, move_to=move_to)

    assert poll_mailbox(mailbox).fetched == 1

    assert Ticket.objects.count() == 1
    assert dovecot.messages(imap_user) == ({uid: inbox} if inbox is not None else {})
    if moved is not None:
        # Moved as it was (unread), into the folder the poll created.
        assert list(dovecot.messages(imap_user, move_to).values()) == [moved]


def test_move_without_the_move_capability_copies_deletes_and_expunges(dovecot, imap_user, make_mailbox, monkeypatch):
    dovecot.append(imap_user, simple_email())
    mailbox = make_mailbox(imap_user, after_import=Mailbox.AfterImport.MOVE, move_to="Helpdesk archive")
    real = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability", lambda client, name: name != "MOVE" and real(client, name))

    assert poll_mailbox(mailbox).fetched == 1

    assert dovecot.messages(imap_user) == {}
    assert list(dovecot.messages(imap_user, "Helpdesk archive").values()) == [set()]


def test_an_unreadable_email_between_two_good_ones_is_quarantined_and_never_fetched_again(
    dovecot, imap_user, make_mailbox
):
    first = dovecot.append(imap_user, simple_email(subject="First"))
    garbage = dovecot.append(imap_user, b"This is not an email at all\r\n\x00\x01\x02 just bytes\r\n")
    last = dovecot.append(imap_user, simple_email(subject="Last"))
    mailbox = make_mailbox(imap_user)

    result = poll_mailbox(mailbox)

    assert (result.error, result.fetched, result.quarantined) == ("", 3, 1)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Last"]
    quarantined = InboundEmail.objects.get(outcome=Outcome.QUARANTINED)
    assert "no headers" in quarantined.reason
    assert original_bytes(quarantined).startswith(b"This is not an email")
    assert dovecot.messages(imap_user) == {first: {SEEN}, garbage: {SEEN}, last: {SEEN}}

    dovecot.set_flags(imap_user, [first, garbage, last], [])
    assert poll_mailbox(mailbox).fetched == 0
    assert InboundEmail.objects.count() == 3


def test_an_email_that_ingest_fails_on_is_quarantined_with_the_error_and_the_next_one_taken(
    dovecot, imap_user, make_mailbox, monkeypatch
):
    """A bug or data a service refuses must not block the mailbox at that email forever."""
    from mail import ingest as ingest_module

    real = ingest_module._process

    def process(email, row, *, mailbox):
        if email.subject == "Trips a bug":
            raise RuntimeError("a bug in processing")
        return real(email, row, mailbox=mailbox)

    monkeypatch.setattr(ingest_module, "_process", process)
    bad = dovecot.append(imap_user, simple_email(subject="Trips a bug"))
    good = dovecot.append(imap_user, simple_email(subject="Fine"))
    mailbox = make_mailbox(imap_user)

    result = poll_mailbox(mailbox)

    assert (result.error, result.fetched, result.quarantined) == ("", 2, 1)
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Fine"]
    row = InboundEmail.objects.get(outcome=Outcome.QUARANTINED)
    assert row.reason == "could not be processed: RuntimeError: a bug in processing"
    assert b"Trips a bug" in original_bytes(row)
    assert dovecot.messages(imap_user) == {bad: {SEEN}, good: {SEEN}}


def test_a_failing_mailbox_is_recorded_and_the_others_are_polled_all_the_same(dovecot, make_mailbox, monkeypatch):
    good_user, bad_user, unset_user = dovecot.new_user(), dovecot.new_user(), dovecot.new_user()
    for user in (good_user, bad_user, unset_user):
        dovecot.append(user, simple_email(subject=f"For {user}"))
    monkeypatch.setenv("HELPDESK_TEST_WRONG_PASSWORD", "not-the-password")
    bad = make_mailbox(bad_user, name="a-wrong-password", password_env="HELPDESK_TEST_WRONG_PASSWORD")
    unset = make_mailbox(unset_user, name="b-unset-password", password_env="HELPDESK_TEST_NO_SUCH_VARIABLE")
    good = make_mailbox(good_user, name="c-good")
    make_mailbox(dovecot.new_user(), name="c-no-such-folder", folder="No such folder")
    make_mailbox(dovecot.new_user(), name="d-disabled", enabled=False, password_env="HELPDESK_TEST_NO_SUCH_VARIABLE")

    results = {result.mailbox: result for result in poll_enabled_mailboxes()}

    assert sorted(results) == ["a-wrong-password", "b-unset-password", "c-good", "c-no-such-folder"]
    assert "Mailbox doesn't exist: No such folder" in results["c-no-such-folder"].error
    assert results["a-wrong-password"].error.startswith("login failed: [AUTHENTICATIONFAILED]")
    assert "HELPDESK_TEST_NO_SUCH_VARIABLE" in results["b-unset-password"].error
    assert results["c-good"].fetched == 1
    assert list(Ticket.objects.values_list("subject", flat=True)) == [f"For {good_user}"]
    for failed in (fresh(bad), fresh(unset)):
        assert failed.failing
        assert failed.last_error and failed.last_error_at and failed.last_polled_at
        assert failed.last_success_at is None
    assert not fresh(good).failing

    # Fixed: the next poll succeeds and the mailbox is no longer failing.
    monkeypatch.setenv("HELPDESK_TEST_WRONG_PASSWORD", PASSWORD)
    assert poll_mailbox(bad).fetched == 1
    assert not fresh(bad).failing


def test_an_unreachable_or_silent_server_fails_the_poll_quickly(make_mailbox, closed_port, silent_port, settings):
    settings.MAIL_IMAP_TIMEOUT = 0.3
    refused = make_mailbox("refused", port=closed_port)
    silent = make_mailbox("silent", port=silent_port)

    started = time.monotonic()
    results = {result.mailbox: result for result in poll_enabled_mailboxes()}

    assert time.monotonic() - started < 5
    assert results["refused"].error == f"connection refused by 127.0.0.1:{closed_port}"
    assert results["silent"].error == f"timed out after 0.3 s waiting for 127.0.0.1:{silent_port}"
    assert fresh(refused).failing and fresh(silent).failing


def test_a_changed_uidvalidity_takes_the_folder_again_without_duplicates(dovecot, imap_user, make_mailbox):
    first, second = simple_email(subject="One"), simple_email(subject="Two")
    dovecot.append(imap_user, first, folder="Support")
    dovecot.append(imap_user, second, folder="Support")
    mailbox = make_mailbox(imap_user, folder="Support")
    assert poll_mailbox(mailbox).fetched == 2
    validity = fresh(mailbox).uid_validity

    # The folder is rebuilt (a server migration, a restore): same emails, new UIDs, one more.
    dovecot.recreate_folder(imap_user, "Support")
    for raw in (first, second, simple_email(subject="Three")):
        dovecot.append(imap_user, raw, folder="Support")
    assert dovecot.uid_validity(imap_user, "Support") != validity

    result = poll_mailbox(mailbox)

    assert (result.error, result.fetched, result.imported) == ("", 3, 1)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["One", "Three", "Two"]
    assert InboundEmail.objects.count() == 3
    mailbox = fresh(mailbox)
    assert mailbox.uid_validity == dovecot.uid_validity(imap_user, "Support")
    assert poll_mailbox(mailbox).fetched == 0


def test_an_email_too_large_is_refused_from_its_header_and_kept_on_the_server(
    dovecot, imap_user, make_mailbox, settings
):
    settings.MAIL_MAX_BYTES = 4000
    raw = simple_email(subject="Huge scan", body="x" * 10_000)
    uid = dovecot.append(imap_user, raw)
    mailbox = make_mailbox(imap_user, after_import=Mailbox.AfterImport.DELETE)

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.refused) == (1, 1)
    row = InboundEmail.objects.get()
    assert row.outcome == Outcome.REFUSED and row.ticket is None
    assert row.size == len(raw)
    assert row.subject == "Huge scan" and row.from_address == "carla@customer.example"
    assert b"xxxx" not in original_bytes(row)  # the body was never fetched
    assert row.acknowledged  # the sender is told why
    assert Notification.objects.filter(kind="mail.refused").count() == 1
    # Only its header was kept: it stays on the server (read), not deleted.
    assert dovecot.messages(imap_user) == {uid: {SEEN}}


def test_a_mailbox_being_polled_by_another_worker_is_skipped(dovecot, imap_user, make_mailbox):
    uid = dovecot.append(imap_user, simple_email())
    mailbox = make_mailbox(imap_user)
    with other_connection() as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS_MAILBOX, mailbox.pk]).fetchone()[0]
        result = poll_mailbox(mailbox)
    assert result.skipped and result.fetched == 0
    assert dovecot.messages(imap_user) == {uid: set()}
    assert fresh(mailbox).last_polled_at is None  # it did not poll

    assert poll_mailbox(mailbox).fetched == 1  # the other one is gone


def test_killed_after_the_commit_but_before_flagging_the_next_poll_adds_nothing(dovecot, imap_user, make_mailbox):
    raw = simple_email()
    uid = dovecot.append(imap_user, raw)
    mailbox = make_mailbox(imap_user)
    ingest(raw, route="imap", mailbox=mailbox)  # committed; the worker died before the \Seen

    result = poll_mailbox(mailbox)

    assert (result.fetched, result.imported) == (1, 0)
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert dovecot.messages(imap_user) == {uid: {SEEN}}


def _wait_for(condition, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _backends_waiting_for_a_lock() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_fetch_and_commit_loses_nothing(dovecot, imap_user, make_mailbox, tmp_path):
    """Point 6 with real processes: a poll in its own process fetches the email and blocks on
    the ledger (this test holds its table locked); SIGKILL; the email is still in the inbox,
    unread; the next poll makes exactly one ticket of it."""
    uid = dovecot.append(imap_user, simple_email(subject="Survives a crash"))
    mailbox = make_mailbox(imap_user)
    env = production_env(tmp_path, **{PASSWORD_ENV: PASSWORD})

    with other_connection() as locker:
        locker.execute("LOCK TABLE mail_inboundemail IN ACCESS EXCLUSIVE MODE")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "poll_mailboxes", "--mailbox", mailbox.name],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            backend = _wait_for(_backends_waiting_for_a_lock, what="the worker to block on the ledger")[0]
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        assert worker.returncode == -signal.SIGKILL
        # Fetched, not committed: the email is where it was, unread and unflagged.
        assert dovecot.messages(imap_user) == {uid: set()}
        locker.rollback()  # the lock goes; the dead worker's session ends and rolls back
    _wait_for(lambda: not _backend_alive(backend), what="the killed worker's database session to end")
    assert InboundEmail.objects.count() == 0 and Ticket.objects.count() == 0

    result = poll_mailbox(fresh(mailbox))

    assert (result.error, result.fetched, result.imported) == ("", 1, 1)
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Survives a crash"]
    assert InboundEmail.objects.count() == 1
    assert dovecot.messages(imap_user) == {uid: {SEEN}}
