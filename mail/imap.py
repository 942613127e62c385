"""Polling the IMAP mailboxes configured in admin (beat task mail.tasks.poll_mailboxes).

One poll of one mailbox:
1. takes the mailbox's PostgreSQL advisory lock on this worker's connection, with no
   transaction held: a second worker polling it at that moment skips it (and a killed
   worker's lock goes with its connection);
2. logs in and SELECTs the folder, whose answer carries UIDVALIDITY and UIDNEXT: an idle poll
   is four round trips (greeting, LOGIN, SELECT, LOGOUT) and searches nothing. A mailbox that
   signs in with OAuth2 gets an access token first (mail.oauth: cached until shortly before
   it expires) and AUTHENTICATEs with SASL XOAUTH2; a cached token the server refuses is
   dropped and a fresh one tried once. A mailbox whose grant the provider refused ("needs
   re-authorization") is skipped, with that error, until an administrator acts in admin;
3. takes the UIDs above the mailbox's last_uid (UID SEARCH UID n:*, filtered: a server answers
   the highest UID even when it is below n), oldest first, at most MAIL_POLL_BATCH. A mailbox
   with no UID mark yet (its first poll, or after the folder's UIDVALIDITY changed) takes its
   unread mail only: what was read before the helpdesk came is history, not a flood of new
   tickets; the ledger's unique constraint keeps an email seen again from counting twice.
   After a complete pass the mark moves up to UIDNEXT - 1 (UIDs are never reused);
4. for each email: its size (RFC822.SIZE, for the whole batch at once), then BODY.PEEK[],
   which never sets \\Seen (or, above MAIL_MAX_BYTES, its header only: refused politely
   unread); mail.ingest records it and returns once committed, and only then is the
   after-import action applied (\\Seen; MOVE, or COPY + \\Deleted + EXPUNGE, into a folder
   created when missing; \\Deleted + EXPUNGE) and last_uid moved past it. An email refused
   for its size is never deleted (only its header was kept): it is marked \\Seen instead.

An email that cannot be read is quarantined by ingest and let go of like the others: it is
never fetched again. A network error or a timeout (MAIL_IMAP_TIMEOUT per command) ends that
mailbox's poll with the error recorded on it (Mailbox.failing); the next mailboxes are
polled all the same. Killed anywhere, a poll loses nothing: before the commit the email is
still in the folder, unflagged; after it, the ledger makes the next poll's ingest a no-op.

Call these outside any transaction: ingest's commits must be real before an email is flagged.
"""

from __future__ import annotations

import imaplib
import logging
import os
import re
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from mail import oauth
from mail.ingest import TEMPORARY_ERRORS, ingest_or_quarantine, refuse_oversized
from mail.models import AfterImport, InboundEmail, Mailbox, Outcome, Security
from notifications.services import dispatch_together

logger = logging.getLogger(__name__)

SEEN = b"\\Seen"
# Advisory lock keys: (this app's class id, the mailbox's id); the Maildir uses its own class.
LOCK_CLASS_MAILBOX = 0x6D61696C  # "mail"
LOCK_CLASS_MAILDIR = 0x6D646972  # "mdir"
# One FETCH of bodies carries at most this many emails and this many bytes (one bigger
# email goes alone): few round trips, memory bounded.
FETCH_CHUNK_EMAILS = 25
FETCH_CHUNK_BYTES = 8 * 1024 * 1024
# Header bytes fetched of an email too large to take.
OVERSIZED_HEADER_BYTES = 256 * 1024
# Characters kept of the server's JSON error to a refused XOAUTH2 token.
XOAUTH2_ERROR_CHARS = 300


_BYTES_REPR = re.compile(r"""^b(['"])(.*)\1$""", re.DOTALL)


# Mailbox fields read again once its poll lock is held.
FRESH_STATE = (
    "uid_validity",
    "last_uid",
    "oauth_needs_reauthorization",
    "oauth_error",
    "oauth_error_at",
    "oauth_rotated_refresh_token",
    "oauth_rotated_from",
    "oauth_rotated_at",
)


class PollError(Exception):
    """A poll could not go on (the reason is recorded on the mailbox)."""


@dataclass
class PollResult:
    mailbox: str
    fetched: int = 0  # emails taken from the server in this poll
    imported: int = 0  # of which new to the ledger (the rest were known already)
    quarantined: int = 0
    refused: int = 0
    error: str = ""
    skipped: bool = False  # another worker was polling this mailbox
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error


@contextmanager
def advisory_lock(class_id: int, object_id: int) -> Iterator[bool]:
    """pg_try_advisory_lock on this thread's database connection: yields whether it was taken;
    released on the way out. Session-level, so no transaction stays open meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [class_id, object_id])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [class_id, object_id])
            except Exception:
                # A connection that cannot release its lock must not go back to a pool holding it.
                logger.exception(
                    "could not release advisory lock (%s, %s); closing the connection", class_id, object_id
                )
                connection.close()


def poll_enabled_mailboxes() -> list[PollResult]:
    """Poll every enabled mailbox once, one after the other; one's failure stops none of the rest."""
    return [poll_mailbox(mailbox) for mailbox in Mailbox.objects.filter(enabled=True).select_related("category")]


def poll_mailbox(mailbox: Mailbox) -> PollResult:
    """Take a mailbox's new mail in (see the module's docstring)."""
    started = time.monotonic()
    result = PollResult(mailbox=mailbox.name)
    with advisory_lock(LOCK_CLASS_MAILBOX, mailbox.pk) as taken:
        if not taken:
            result.skipped = True
            logger.info("mailbox %s is being polled by another worker; skipped", mailbox.name)
            return result
        # Fresh poll state: another worker may have moved it (or rotated its refresh token, or
        # found its grant refused) since this row was read.
        state = Mailbox.objects.filter(pk=mailbox.pk).values(*FRESH_STATE).first()
        if state is None:  # deleted meanwhile
            result.skipped = True
            return result
        for name, value in state.items():
            setattr(mailbox, name, value)
        try:
            if mailbox.needs_reauthorization:  # no use asking the provider again
                raise PollError(oauth.reauthorization_message(mailbox))
            _poll(mailbox, result)
        except (*TEMPORARY_ERRORS, IMAPClientError, PollError, oauth.TokenError) as error:
            result.error = _describe(error, mailbox)
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:  # a server answering nonsense, a bug: the next mailboxes still get polled
            logger.exception("mailbox %s: unexpected error", mailbox.name)
            result.error = f"unexpected error: {type(error).__name__}: {error}"[:2000]
        result.seconds = time.monotonic() - started
        _record(mailbox, result)
    if result.error:
        logger.warning("mailbox %s: poll failed: %s", mailbox.name, result.error)
    elif result.fetched:
        logger.info(
            "mailbox %s: %d emails taken (%d new) in %.2f s",
            mailbox.name,
            result.fetched,
            result.imported,
            result.seconds,
        )
    return result


def _describe(error: BaseException, mailbox: Mailbox) -> str:
    server = f"{mailbox.host}:{mailbox.port}"
    if isinstance(error, TimeoutError):
        return f"timed out after {settings.MAIL_IMAP_TIMEOUT:g} s waiting for {server}"
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {server}"
    if isinstance(error, IMAPClientError):
        # imaplib's errors carry the server's bytes: b'[AUTHENTICATIONFAILED] Authentication failed.'
        text = " ".join(arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg) for arg in error.args)
        text = _BYTES_REPR.sub(r"\2", text)  # LoginError holds str(b'...')
        if isinstance(error, LoginError):
            text = f"login failed: {text}"
            if mailbox.uses_oauth2:
                text += (
                    f" (XOAUTH2 as {mailbox.username} with a token just issued by {oauth.token_host(mailbox)}: "
                    "may this app or account read the mailbox over IMAP?)"
                )
    elif isinstance(error, OSError):
        text = f"{server}: {type(error).__name__}: {error}"  # gaierror: [Errno -2] Name or service not known
    else:
        text = str(error)
    return (text.strip() or type(error).__name__)[:2000]


def _record(mailbox: Mailbox, result: PollResult) -> None:
    """The poll's outcome on the mailbox row, by UPDATE: an admin editing it meanwhile loses nothing."""
    now = timezone.now()
    fields: dict = {"last_polled_at": now, "last_imported": result.imported}
    if result.error:
        fields.update(last_error=result.error, last_error_at=now)
    else:
        fields["last_success_at"] = now
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    for name, value in fields.items():
        setattr(mailbox, name, value)


def _connect(mailbox: Mailbox) -> IMAPClient:
    if mailbox.uses_oauth2:
        password, token = "", oauth.access_token(mailbox)  # before connecting: no token, no connection
    else:
        password, token = os.environ.get(mailbox.password_env or ""), None
        if password is None:
            raise PollError(f"the environment variable {mailbox.password_env!r} (the password) is not set")
    timeout = settings.MAIL_IMAP_TIMEOUT
    if mailbox.security == Security.TLS:
        client = IMAPClient(
            mailbox.host, port=mailbox.port, ssl=True, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    else:
        client = IMAPClient(mailbox.host, port=mailbox.port, ssl=False, timeout=timeout)
    try:
        if mailbox.security == Security.STARTTLS:
            client.starttls(ssl.create_default_context())
        if token is None:
            client.login(mailbox.username, password)
        else:
            _sign_in_oauth2(client, mailbox, token)
    except BaseException:
        _close(client)
        raise
    return client


def _sign_in_oauth2(client: IMAPClient, mailbox: Mailbox, token: oauth.AccessToken) -> None:
    """AUTHENTICATE XOAUTH2; a cached token the server refuses (revoked early, say) is dropped
    and a fresh one tried once. A fresh token refused is an ordinary login error."""
    try:
        xoauth2_login(client, mailbox.username, token.value)
    except LoginError:
        if not token.cached:
            raise
        logger.info("mailbox %s: the cached access token was refused; asking for a new one", mailbox.name)
        oauth.forget_token(mailbox)
        xoauth2_login(client, mailbox.username, oauth.access_token(mailbox).value)


def xoauth2_login(client: IMAPClient, user: str, access_token: str) -> None:
    """SASL XOAUTH2 as Google and Microsoft specify it: the initial response carries the user
    and the token; a refusal comes as a challenge with a JSON error, answered with an empty
    line, then NO. (IMAPClient.oauth2_login answers that challenge with the token again, which
    the server takes as a second attempt: dovecot answers half a second later, and the JSON
    is lost.) The JSON, bounded, goes into the LoginError's message."""
    said: list[str] = []
    initial = f"user={user}\x01auth=Bearer {access_token}\x01\x01".encode()

    def respond(challenge: bytes) -> bytes:
        if not said and not challenge:
            said.append("")
            return initial
        said.append(challenge[:XOAUTH2_ERROR_CHARS].decode("utf-8", "replace"))
        return b""

    try:
        client._imap.authenticate("XOAUTH2", respond)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as error:
        text = " ".join(arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg) for arg in error.args)
        details = " ".join(part for part in said if part)
        raise LoginError(f"{text} {details}".strip()) from None


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            logger.debug("closing the IMAP connection failed", exc_info=True)


def _poll(mailbox: Mailbox, result: PollResult) -> None:
    client = _connect(mailbox)
    try:
        status = client.select_folder(mailbox.folder)
        validity = int(status[b"UIDVALIDITY"])
        uid_next = int(status.get(b"UIDNEXT") or 0)
        catching_up = mailbox.uid_validity != validity
        if catching_up:
            if mailbox.uid_validity is not None:
                logger.warning(
                    "mailbox %s: UIDVALIDITY of %s changed (%s -> %s); taking its unread mail again",
                    mailbox.name,
                    mailbox.folder,
                    mailbox.uid_validity,
                    validity,
                )
            uids = sorted(client.search(["UNSEEN"]))
        elif uid_next and uid_next <= mailbox.last_uid + 1:
            uids = []  # nothing arrived: the idle poll ends here
        else:
            uids = sorted(uid for uid in client.search(["UID", f"{mailbox.last_uid + 1}:*"]) if uid > mailbox.last_uid)
        batch = uids[: settings.MAIL_POLL_BATCH]
        if batch:
            _Session(client, mailbox, result).take(batch)
        if len(uids) > len(batch):
            return  # the rest next time
        # Every email found is in. No UID below UIDNEXT can appear any more (UIDs are never
        # reused), so the mark moves up to it: after a catch-up, read mail is left behind;
        # after emails deleted before they were polled, the next idle poll searches nothing.
        if catching_up:
            highest = (uid_next - 1) if uid_next else max(client.search(["ALL"]), default=0)
            last_uid = max(highest, batch[-1] if batch else 0)
        else:
            last_uid = max(mailbox.last_uid, uid_next - 1)
        if catching_up or last_uid != mailbox.last_uid:
            Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=last_uid)
            mailbox.uid_validity, mailbox.last_uid = validity, last_uid
    finally:
        _close(client)


def _chunks(uids: list[int], sizes: dict[int, int]) -> Iterator[tuple[bool, list[int]]]:
    """The UIDs in order, in groups fetched at once: (too large, [uid]) alone, or (False, uids)."""
    chunk: list[int] = []
    total = 0
    for uid in uids:
        size = sizes[uid]
        if size > settings.MAIL_MAX_BYTES:
            if chunk:
                yield False, chunk
                chunk, total = [], 0
            yield True, [uid]
            continue
        if chunk and (len(chunk) >= FETCH_CHUNK_EMAILS or total + size > FETCH_CHUNK_BYTES):
            yield False, chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += size
    if chunk:
        yield False, chunk


class _Session:
    """One poll's connection to one mailbox."""

    def __init__(self, client: IMAPClient, mailbox: Mailbox, result: PollResult) -> None:
        self.client, self.mailbox, self.result = client, mailbox, result
        self.folder_ready = False

    def take(self, uids: list[int]) -> None:
        """Ingest the emails of these UIDs, oldest first, letting go of each once committed."""
        fetched = self.client.fetch(uids, ["RFC822.SIZE"])
        sizes = {uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in fetched.items()}
        present = [uid for uid in uids if uid in sizes]  # the rest were expunged meanwhile
        for too_large, chunk in _chunks(present, sizes):
            if too_large:
                self._refuse(chunk[0], sizes[chunk[0]])
                continue
            bodies = self.client.fetch(chunk, ["BODY.PEEK[]"])
            taken: list[tuple[int, InboundEmail, datetime]] = []
            # The chunk's acknowledgements and notices go to the delivery workers in a few
            # tasks once it is in, not one task per email.
            with dispatch_together():
                try:
                    for uid in chunk:
                        raw = bodies.get(uid, {}).get(b"BODY[]")
                        if raw is None:  # expunged meanwhile
                            continue
                        since = timezone.now()
                        taken.append((uid, ingest_or_quarantine(raw, route="imap", mailbox=self.mailbox), since))
                finally:
                    # Each of these rows is committed: let go of them, however the chunk ended.
                    self._done(taken)

    def _refuse(self, uid: int, size: int) -> None:
        """Only the header of an email too large to take: refused unread, its sender told why."""
        data = self.client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{OVERSIZED_HEADER_BYTES}>"]).get(uid, {})
        header = next((value for key, value in data.items() if key.startswith(b"BODY[HEADER]")), None)
        if header is None:  # expunged meanwhile
            return
        since = timezone.now()
        self._done([(uid, refuse_oversized(header, size, route="imap", mailbox=self.mailbox), since)])

    def _done(self, taken: list[tuple[int, InboundEmail, datetime]]) -> None:
        """These emails' rows are committed: let go of them on the server (one command per
        action for the whole chunk), then move the UID mark past them. A worker killed
        before this leaves them in the mailbox: the next poll finds them in the ledger."""
        if not taken:
            return
        result, mailbox = self.result, self.mailbox
        by_action: dict[str, list[int]] = {}
        for uid, row, since in taken:
            result.fetched += 1
            result.imported += row.received_at >= since  # else the ledger knew it already
            result.quarantined += row.outcome == Outcome.QUARANTINED
            result.refused += row.outcome == Outcome.REFUSED
            action = mailbox.after_import
            if action == AfterImport.DELETE and row.outcome == Outcome.REFUSED:
                action = AfterImport.SEEN  # only its header was kept: never destroy the rest
            by_action.setdefault(action, []).append(uid)
        for action, uids in by_action.items():
            if action == AfterImport.MOVE:
                self._move(uids, mailbox.move_to)
            elif action == AfterImport.DELETE:
                self.client.delete_messages(uids, silent=True)
                self._expunge(uids)
            else:
                self.client.add_flags(uids, [SEEN], silent=True)
        highest = max(uid for uid, _, _ in taken)
        if highest > mailbox.last_uid:
            Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=highest).update(last_uid=highest)
            mailbox.last_uid = highest

    def _move(self, uids: list[int], folder: str) -> None:
        if not self.folder_ready:
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)
            self.folder_ready = True
        if self.client.has_capability("MOVE"):
            self.client.move(uids, folder)
        else:
            self.client.copy(uids, folder)
            self.client.delete_messages(uids, silent=True)
            self._expunge(uids)

    def _expunge(self, uids: list[int]) -> None:
        if self.client.has_capability("UIDPLUS"):
            self.client.uid_expunge(uids)
        else:
            self.client.expunge()
