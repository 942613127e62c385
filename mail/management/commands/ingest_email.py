"""`manage.py ingest_email`: one raw email (RFC 5322) on standard input, for an MTA's pipe.

Postfix (master.cf):  helpdesk unix - n n - - pipe flags=q user=helpdesk
                        argv=/srv/helpdesk/.venv/bin/python /srv/helpdesk/manage.py ingest_email
Exit status (sysexits.h): 0 once the email is recorded, whatever became of it (a ticket, a
reply, automatic mail recorded, refused for its size, quarantined); 75 (EX_TEMPFAIL) when it
could not be recorded (the database or the disk unavailable): the MTA keeps it and retries.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

EX_TEMPFAIL = 75
_DRAIN_CHUNK = 1024 * 1024


class Command(BaseCommand):
    help = "Ingest one raw email read from standard input (for an MTA pipe); exits 75 on a temporary failure."
    # Nothing is checked before reading the email: a check failing on one detail must not
    # bounce mail. The database is needed, and its absence is a temporary failure.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options) -> None:
        if connection.connection is None:
            # One email, then the process ends: a plain connection, not a pool, whose retries in
            # the background would turn "connection refused" into DATABASE_POOL_TIMEOUT seconds
            # of waiting and log lines in the MTA's report.
            connection.settings_dict["OPTIONS"].pop("pool", None)
        stdin = sys.stdin.buffer
        raw = stdin.read(settings.MAIL_MAX_BYTES + 1)
        size = len(raw)
        if size > settings.MAIL_MAX_BYTES:
            # Read the rest (the MTA must see its whole message taken), keeping none of it.
            while chunk := stdin.read(_DRAIN_CHUNK):
                size += len(chunk)
        try:
            row = self._ingest(raw, size)
        except Exception as error:
            reason = " ".join(str(error).split())[:500] or "no detail"
            raise CommandError(
                f"temporary failure, try again later: {type(error).__name__}: {reason}", returncode=EX_TEMPFAIL
            ) from error
        if options["verbosity"] >= 1:
            where = f" (ticket #{row.ticket_id})" if row.ticket_id else ""
            self.stdout.write(f"recorded: {row.get_outcome_display()}{where}")

    @staticmethod
    def _ingest(raw: bytes, size: int):
        from mail.ingest import ingest_or_quarantine, refuse_oversized

        if size > settings.MAIL_MAX_BYTES:
            return refuse_oversized(raw, size, route="pipe")
        return ingest_or_quarantine(raw, route="pipe")
