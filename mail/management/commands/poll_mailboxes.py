"""`manage.py poll_mailboxes`: poll the IMAP mailboxes (and MAIL_MAILDIR) once, now, in this
process: what the beat task mail.tasks.poll_mailboxes does on a worker. Exits 1 when a
mailbox's poll failed (its error is printed and recorded on it)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mail.imap import poll_enabled_mailboxes, poll_mailbox
from mail.maildir import poll_maildir
from mail.models import Mailbox


class Command(BaseCommand):
    help = "Poll the enabled IMAP mailboxes (or the one named) and the Maildir once, now."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mailbox", help="Poll only the mailbox of this name (even if disabled)")
        parser.add_argument("--no-maildir", action="store_true", help="Leave MAIL_MAILDIR alone")

    def handle(self, *args, mailbox: str | None = None, no_maildir: bool = False, **options) -> None:
        if mailbox:
            found = Mailbox.objects.filter(name=mailbox).select_related("category").first()
            if found is None:
                raise CommandError(f"no mailbox named {mailbox!r}")
            results = [poll_mailbox(found)]
        else:
            results = poll_enabled_mailboxes()
        for result in results:
            if result.skipped:
                line = "skipped (another worker is polling it)"
            elif result.error:
                line = f"FAILED: {result.error}"
            else:
                line = f"{result.fetched} taken, {result.imported} new, {result.quarantined} quarantined, "
                line += f"{result.refused} refused ({result.seconds * 1000:.0f} ms)"
            self.stdout.write(f"{result.mailbox}: {line}")
        if settings.MAIL_MAILDIR and not no_maildir and not mailbox:
            maildir = poll_maildir(settings.MAIL_MAILDIR)
            self.stdout.write(
                f"maildir {maildir.path}: {maildir.taken} taken, {maildir.imported} new, {maildir.waiting} waiting"
                + (f"; stopped: {maildir.error}" if maildir.error else "")
            )
        failed = [result.mailbox for result in results if result.error]
        if failed:
            raise CommandError(f"poll failed for: {', '.join(failed)}")
