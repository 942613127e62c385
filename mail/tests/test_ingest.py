"""The ledger decides "once" with its unique index, not with a read before the write."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from mail.ingest import content_hash, ingest
from mail.models import InboundEmail
from mail.parsing import parse
from tickets.models import Category, Ticket

RAW = (
    b"From: Ray Racer <ray@example.org>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: Two workers, one email\r\n"
    b"Message-ID: <race-1@example.org>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"The export button does nothing in Firefox.\r\n"
)


def _blocked_on_a_lock(pid_holder: list[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", [pid_holder[0]]
        )
        return cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_commits", [True, False], ids=["first-commits", "first-rolls-back"])
def test_a_second_arrival_waits_for_the_first_and_then_does_nothing_or_everything(settings, first_commits):
    settings.SUPPORT_EMAIL = "support@example.com"
    Category.objects.create(slug="general", name="General")
    email = parse(RAW)
    # Worker one has recorded the email and not committed yet (it is making the ticket).
    connection.set_autocommit(False)
    InboundEmail.objects.create(
        email_id=email.message_id,
        content_hash=content_hash(RAW),
        route="imap",
        outcome="ticket",
        size=len(RAW),
        raw=b"",
    )
    results: list = []
    pids: list[int] = []

    def second_worker() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
        try:
            results.append(ingest(RAW, route="webhook"))
        finally:
            connections.close_all()

    worker = threading.Thread(target=second_worker)
    worker.start()
    deadline = time.monotonic() + 10
    while not (pids and _blocked_on_a_lock(pids)):
        assert time.monotonic() < deadline, "the second arrival never waited on the first"
        time.sleep(0.02)
    if first_commits:
        connection.commit()
    else:
        connection.rollback()
    connection.set_autocommit(True)
    worker.join(10)

    (row,) = results
    assert InboundEmail.objects.count() == 1
    if first_commits:
        # The first arrival's row stands; the second did nothing (no ticket of its own).
        assert row.route == "imap" and not Ticket.objects.exists()
    else:
        # The first never happened: the second is the one that counts.
        assert row.route == "webhook" and Ticket.objects.get().subject == "Two workers, one email"
