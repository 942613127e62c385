"""Polling a local Maildir (MAIL_MAILDIR; `make run` sets var/maildir): drop an email in, a ticket appears.

Every file in new/ and cur/ (tmp/ is where a delivering program writes; dot-files are
skipped) is an email to take: it goes through mail.ingest (route "maildir") and, once its
row is committed, the file is deleted: the ledger keeps the original (compressed),
downloadable by agents and re-ingestable from admin. A file that is not an email is
quarantined and deleted likewise, so nothing is retried forever; a file larger than
MAIL_MAX_BYTES is refused from its headers (the sender told why) and deleted. A file
changed less than MAILDIR_SETTLE_SECONDS ago is left for the next poll: it may still be
being written (`cp` into new/ is not atomic, unlike the Maildir way: write in tmp/, then
rename). Killed anywhere, a poll loses nothing: the file is deleted only after the commit,
and the ledger makes a second reading of it a no-op. Two workers polling the same Maildir
take turns (an advisory lock).
"""

from __future__ import annotations

import logging
import mailbox as stdlib_mailbox
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mail.imap import LOCK_CLASS_MAILDIR, advisory_lock
from mail.ingest import TEMPORARY_ERRORS, ingest_or_quarantine, refuse_oversized
from mail.models import Outcome

logger = logging.getLogger(__name__)

MAILDIR_SETTLE_SECONDS = 1.0


@dataclass
class MaildirResult:
    path: str
    taken: int = 0  # files ingested and deleted
    imported: int = 0  # of which new to the ledger
    quarantined: int = 0
    refused: int = 0
    waiting: int = 0  # files too fresh, or unreadable for now: left for the next poll
    skipped: bool = False  # another worker was polling it
    error: str = ""


def _candidates(root: Path) -> list[Path]:
    files: list[tuple[float, str, Path]] = []
    for sub in ("new", "cur"):
        try:
            entries = list(os.scandir(root / sub))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                files.append((entry.stat(follow_symlinks=False).st_mtime, entry.name, Path(entry.path)))
            except FileNotFoundError:
                continue
    files.sort()
    return [path for _, _, path in files]


def poll_maildir(path: str | os.PathLike) -> MaildirResult:
    """Take in every email of the Maildir at `path` (created when missing), oldest first,
    at most MAIL_POLL_BATCH per poll."""
    root = Path(path)
    result = MaildirResult(path=str(root))
    root.parent.mkdir(parents=True, exist_ok=True)
    stdlib_mailbox.Maildir(root, create=True)  # new/, cur/, tmp/ (for a folder it creates)
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(mode=0o700, exist_ok=True)
    with advisory_lock(LOCK_CLASS_MAILDIR, zlib.crc32(str(root.resolve()).encode()) & 0x7FFFFFFF) as taken:
        if not taken:
            result.skipped = True
            return result
        settled = time.time() - MAILDIR_SETTLE_SECONDS
        for file in _candidates(root):
            if result.taken >= settings.MAIL_POLL_BATCH:
                break
            try:
                _take(file, settled, result)
            except TEMPORARY_ERRORS as error:
                # The database or the disk: the file stays, the next poll tries again.
                result.error = f"{file.name}: {type(error).__name__}: {error}"[:2000]
                logger.warning("maildir %s: poll stopped: %s", root, result.error)
                break
    if result.taken:
        logger.info("maildir %s: %d emails taken (%d new)", root, result.taken, result.imported)
    return result


def _take(file: Path, settled: float, result: MaildirResult) -> None:
    try:
        with open(file, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_mtime > settled:
                result.waiting += 1
                return
            raw = handle.read(settings.MAIL_MAX_BYTES + 1)
    except FileNotFoundError:
        return  # taken by another poll meanwhile
    except PermissionError as error:
        result.waiting += 1
        logger.warning("maildir: cannot read %s: %s", file, error)
        return
    since = timezone.now()
    if len(raw) > settings.MAIL_MAX_BYTES:
        row = refuse_oversized(raw, stat.st_size, route="maildir")
    else:
        row = ingest_or_quarantine(raw, route="maildir")
    # Committed: the file may go.
    file.unlink(missing_ok=True)
    result.taken += 1
    result.imported += row.received_at >= since
    result.quarantined += row.outcome == Outcome.QUARANTINED
    result.refused += row.outcome == Outcome.REFUSED
