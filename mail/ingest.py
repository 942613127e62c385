"""One way in for every email, whichever route brought it (IMAP, webhook, MTA pipe, Maildir).

`ingest(raw, route=...)`:
1. bounds and parses the email (mail.parsing); one that cannot be read is quarantined with
   its error, one that is too large is refused with a polite answer (unless it was automatic);
2. records it in the ledger (InboundEmail), in the transaction that does everything else:
   the unique (message_id, content_hash) makes a second arrival, from a retry, another
   worker or a provider's repeated webhook, wait for the first and then undo what it did;
3. classifies it (mail.classify): automatic mail, bounces and our own mail are recorded only;
4. finds its ticket (mail.threading) and adds it there, as the reply of the customer or of
   an address copied on the ticket (a CC), or, from anyone else, as an internal note; or
   opens a ticket, acknowledged unless the sender has had too many acknowledgements lately;
5. copies on the ticket the other people the email was written to (To and Cc, never our own
   addresses), when it opens the ticket or is the customer's or a CC's reply (tickets.ccs,
   up to its bound).

It returns the ledger row once committed: a mailbox may then let go of the email.
"""

from __future__ import annotations

import logging
import re
import zlib
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agents.roles import Actor, customer_actor
from customers.services import customers_mark_bouncing
from mail import classify as kinds
from mail.models import BouncedAddress, InboundEmail, Mailbox, Outcome
from mail.parsing import (
    ParsedEmail,
    Refused,
    Unreadable,
    address_only,
    content_hash,
    megabytes,
    parse,
    repair_headers,
    split_headers,
    too_large,
)
from mail.replies import latest_reply
from mail.threading import find_ticket
from notifications.services import email_enqueue
from tickets import services
from tickets.attachments import validate_uploads
from tickets.ccs import cc_of, ticket_cc_add
from tickets.languages import customer_language
from tickets.models import BODY_MAX, DESCRIPTION_MAX, DESCRIPTION_MIN, Category, Status, Ticket
from tickets.profiles import is_customer_address
from tickets.services import EmailEnvelope
from tickets.threading import automatic_headers, normalize_message_id, ticket_for_message_ids

logger = logging.getLogger(__name__)


def _compress(raw: bytes) -> bytes:
    return zlib.compress(raw, 6)


def original_bytes(row: InboundEmail) -> bytes:
    return zlib.decompress(bytes(row.raw))


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    # Translators: ends the text of an email too long for a ticket, in the ticket (agents and the customer read it).
    cut = "\n\n[…] " + _("(shortened here; the whole email is kept with its original)")
    return text[: limit - len(cut)].rstrip() + cut


def _header_view(raw: bytes):
    """The headers alone, for an email that will not be parsed whole."""
    return BytesParser(policy=policy.default).parsebytes(repair_headers(split_headers(raw)) + b"\n\n", headersonly=True)


# The Message-ID header of a raw email, unfolded, without parsing the email.
_MESSAGE_ID_HEADER = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_MSG_ID = re.compile(r"<([^<>\s]{1,998})>")


def _header_message_id(raw: bytes) -> str:
    """The email's Message-ID as parse() reads it (the first <...> of the header), from
    the raw header block: a regular expression, not a parse."""
    match = _MESSAGE_ID_HEADER.search(split_headers(raw))
    if match is None:
        return ""
    found = _MSG_ID.search(match.group(1).decode("latin-1"))
    return normalize_message_id(found.group(1)) if found and "@" in found.group(1) else ""


def _insert(row: InboundEmail) -> InboundEmail | None:
    """Insert the ledger row, or None when the same email is recorded already (it waits for
    a concurrent first arrival to commit or roll back: the unique index decides)."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return None
    return row


def _existing(message_id: str, digest: str) -> InboundEmail:
    return InboundEmail.objects.get(email_id=message_id, content_hash=digest)


# --- Entry point ----------------------------------------------------------------------


# From this size on, a repeat arrival is looked for before parsing: parsing costs more than
# the probe. A smaller one is parsed and processed, and undone when its ledger row collides.
RECORDED_CHECK_BYTES = 64 * 1024


def _recorded(raw: bytes, digest: str) -> InboundEmail | None:
    """The ledger row of this very email if it is recorded already, found from its headers
    without parsing it: a retry of a large email costs an index probe, not a parse. Only a
    shortcut: when it misses, the unique index still decides."""
    ids = [f"derived.{digest[:40]}@helpdesk.invalid"]
    header_id = _header_message_id(raw)
    if header_id:
        ids.append(header_id)
    return InboundEmail.objects.filter(email_id__in=ids, content_hash=digest).first()


def ingest(raw: bytes, *, route: str, mailbox: Mailbox | None = None) -> InboundEmail:
    """Take one email in (see the module's docstring); returns its committed ledger row."""
    raw = bytes(raw)
    digest = content_hash(raw)
    if len(raw) >= RECORDED_CHECK_BYTES:
        recorded = _recorded(raw, digest)
        if recorded is not None:
            return recorded
    try:
        email = parse(raw, digest=digest)
        _check_attachments(email)
    except Refused as error:
        return _refuse(raw, digest, error, route=route, mailbox=mailbox)
    except Unreadable as error:
        return _quarantine(raw, digest, str(error), route=route, mailbox=mailbox)
    row = _row(email, raw, route=route, mailbox=mailbox, outcome=Outcome.QUARANTINED)
    try:
        with transaction.atomic():
            _process(email, row, mailbox=mailbox)
            # Last, in the same transaction: the unique index decides here whether this is
            # the first arrival. A second one waits for the first to commit, fails here, and
            # everything it did is undone with it.
            row.save(force_insert=True)
    except IntegrityError:
        existing = InboundEmail.objects.filter(email_id=email.message_id, content_hash=email.content_hash).first()
        if existing is None:
            raise
        return existing
    return row


def reingest(row: InboundEmail) -> InboundEmail:
    """Read a quarantined email again (after a fix or a configuration change), in place."""
    raw = original_bytes(row)
    email = parse(raw)  # Refused or Unreadable: it stays where it is
    _check_attachments(email)
    with transaction.atomic():
        row = InboundEmail.objects.select_for_update().get(pk=row.pk)
        if row.outcome != Outcome.QUARANTINED:
            return row
        row.reason = ""
        row.subject, row.from_address, row.from_name = email.subject, email.from_address, email.from_name
        _process(email, row, mailbox=row.mailbox)
        row.reingested_at = timezone.now()
        row.save()
    return row


def _row(email: ParsedEmail, raw: bytes, *, route: str, mailbox: Mailbox | None, outcome: str) -> InboundEmail:
    return InboundEmail(
        email_id=email.message_id,
        content_hash=email.content_hash,
        route=route,
        mailbox=mailbox,
        outcome=outcome,
        from_address=address_only(email.from_address)[:320],
        from_name=email.from_name,
        subject=email.subject,
        size=len(raw),
        raw=_compress(raw),
    )


# --- Refused and unreadable mail ------------------------------------------------------


def _check_attachments(email: ParsedEmail) -> None:
    for attachment in email.attachments:
        if len(attachment.data) > settings.ATTACHMENT_MAX_BYTES:
            # Translators: why an email was refused (see "the email is %(size)s MB..."); "name" is a file name.
            message = gettext_lazy("the attachment %(name)s is %(size)s MB; the limit is %(limit)s MB")
            raise Refused(
                message,
                name=attachment.name,
                size=megabytes(len(attachment.data), 1),
                limit=megabytes(settings.ATTACHMENT_MAX_BYTES, 0),
            )


def _quarantine(raw: bytes, digest: str, reason: str, *, route: str, mailbox: Mailbox | None) -> InboundEmail:
    logger.warning("email quarantined: %s", reason)
    message_id = _header_message_id(raw) or f"derived.{digest[:40]}@helpdesk.invalid"
    row = InboundEmail(
        email_id=message_id,
        content_hash=digest,
        route=route,
        mailbox=mailbox,
        outcome=Outcome.QUARANTINED,
        reason=reason[:2000],
        size=len(raw),
        raw=_compress(raw),
    )
    with transaction.atomic():
        return _insert(row) or _existing(message_id, digest)


def _refuse(raw: bytes, digest: str, reason: Refused, *, route: str, mailbox: Mailbox | None) -> InboundEmail:
    """Record a refused email (its headers only) and tell a human sender why, once (the reason
    put in words as the answer is rendered: Refused)."""
    try:
        headers = _header_view(raw)
        sender = str(headers.get("From", "") or "")
        subject = " ".join(str(headers.get("Subject", "") or "").split())[:255]
        address = headers["From"].addresses[0].addr_spec if headers.get("From") and headers["From"].addresses else ""
        unfolded = lambda name: " ".join(str(headers.get(name, "") or "").split())  # noqa: E731
        automatic = bool(kinds.automatic_reason(unfolded, address))
        stated_language = unfolded("Content-Language")
    except Exception:
        sender, subject, automatic, address, stated_language = "", "", True, "", ""
    message_id = _header_message_id(raw) or f"derived.{digest[:40]}@helpdesk.invalid"
    row = InboundEmail(
        email_id=message_id,
        content_hash=digest,
        route=route,
        mailbox=mailbox,
        outcome=Outcome.REFUSED,
        reason=str(reason)[:2000],
        from_address=address_only(address)[:320] if address else "",
        from_name=sender[:255],
        subject=subject,
        size=len(raw),
        raw=_compress(split_headers(raw)),
    )
    with transaction.atomic():
        inserted = _insert(row)
        if inserted is None:
            return _existing(message_id, digest)
        if address and not automatic and not kinds.is_own_address(address) and _may_acknowledge(address):
            headers_out = automatic_headers()
            if "@" in message_id and not message_id.startswith("derived."):
                headers_out["In-Reply-To"] = f"<{message_id}>"
            email_enqueue(
                to=address,
                kind="mail.refused",
                template="mail/email/refused",
                context={"subject": subject, "reason": reason, "support_email": settings.SUPPORT_EMAIL},
                headers=headers_out,
                # The sender's language as far as the headers tell (the body was not read).
                language=customer_language(stated_language, subject),
            )
            InboundEmail.objects.filter(pk=row.pk).update(acknowledged=True)
            row.acknowledged = True
    return row


def _may_acknowledge(address: str) -> bool:
    """At most MAIL_ACKS_PER_SENDER_PER_HOUR automatic answers to one address an hour."""
    since = timezone.now() - timedelta(hours=1)
    sent = InboundEmail.objects.filter(
        from_address=address_only(address), acknowledged=True, received_at__gte=since
    ).count()
    return sent < settings.MAIL_ACKS_PER_SENDER_PER_HOUR


# --- A readable email -----------------------------------------------------------------


def _uploads(email: ParsedEmail) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments portal uploads would accept (same limits); the names of the rest."""
    kept: list[SimpleUploadedFile] = []
    dropped: list[str] = []
    for attachment in email.attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.data, content_type=attachment.content_type)
        if len(kept) >= settings.ATTACHMENT_MAX_FILES:
            limit = settings.ATTACHMENT_MAX_FILES
            # Translators: after the name of a file of an email that was not attached to the ticket.
            why = ngettext("more than %(count)d file", "more than %(count)d files", limit) % {"count": limit}
            dropped.append(f"{attachment.name} ({why})")
            continue
        try:
            validate_uploads([upload])
        except ValidationError as error:
            dropped.append(f"{attachment.name} ({' '.join(error.messages)})")
            continue
        kept.append(upload)
    return kept, dropped


def _with_dropped(text: str, dropped: list[str]) -> str:
    if not dropped:
        return text
    listed = "\n".join(f"- {name}" for name in dropped)
    # Translators: in a ticket made from an email, above the list of the email's files not attached to it.
    heading = _("Not attached here (the original email has them):")
    return f"{text}\n\n{heading}\n{listed}"


def _default_category(mailbox: Mailbox | None) -> Category:
    if mailbox is not None:
        return mailbox.category
    category = Category.objects.filter(slug=settings.MAIL_DEFAULT_CATEGORY).first() or Category.objects.first()
    if category is None:
        raise Unreadable("no category exists to file new tickets in; create one, then re-ingest")
    return category


def _envelope(email: ParsedEmail) -> EmailEnvelope:
    return EmailEnvelope(
        message_id=email.message_id,
        from_address=email.from_address,
        to=", ".join(email.to),
        cc=", ".join(email.cc),
        date=email.date,
        html=email.html,
    )


def _mailbox_team(mailbox: Mailbox | None) -> dict:
    """Routing of a new ticket from mail: the mailbox's team first; without one, ticket_create
    routes by the category (the mailbox's, or MAIL_DEFAULT_CATEGORY's)."""
    if mailbox is not None and mailbox.team_id is not None:
        return {"team": mailbox.team}
    return {}


def _process(email: ParsedEmail, row: InboundEmail, *, mailbox: Mailbox | None) -> None:
    """Act on a recorded email and set the row's outcome (the caller saves it)."""
    kind = kinds.classify(email)
    row.outcome, row.reason = Outcome.QUARANTINED, ""
    if kind.kind == kinds.OWN:
        row.outcome, row.reason = Outcome.OWN, kind.reason
        logger.info("ignored the helpdesk's own email %s", email.message_id)
        return
    if kind.kind == kinds.BOUNCE:
        row.outcome, row.reason = Outcome.BOUNCE, kind.reason
        _record_bounce(email, row, kind)
        return
    match = find_ticket(email)
    if kind.kind == kinds.AUTOMATIC:
        row.outcome, row.reason = Outcome.AUTOMATIC, kind.reason
        row.ticket = match.ticket if match else None
        return

    sender = address_only(email.from_address)
    text = latest_reply(email.text, subject=email.subject) if match else email.text.strip()
    uploads, dropped = _uploads(email)
    if match is not None and match.ticket.status != Status.CLOSED:
        ticket = match.ticket
        body = _fit(_with_dropped(text or _("(no text: see the attachments)"), dropped), BODY_MAX)
        is_customer = is_customer_address(ticket, sender)
        cc = None if is_customer else cc_of(ticket, sender)
        if is_customer or cc is not None:
            actor = customer_actor(email.from_name, email.from_address)
            row.message = services.message_create(
                ticket=ticket, body=body, actor=actor, attachments=uploads, email=_envelope(email), cc=cc
            )
            row.outcome = Outcome.REPLY
            _copy_others(email, ticket, sender=sender, actor=actor, mailbox=mailbox)
        else:
            # Someone other than the customer (a colleague in Cc, a forward): agents see it,
            # the customer does not, and the ticket's status and clock stay as they are.
            actor = Actor(type="system", name=(email.from_name or email.from_address)[:255])
            row.message = services.message_create(
                ticket=ticket, body=body, actor=actor, internal=True, attachments=uploads, email=_envelope(email)
            )
            row.outcome, row.reason = Outcome.NOTE, f"from another sender than the customer ({match.how})"
        row.ticket = ticket
        return

    description = _with_dropped(text, dropped)
    if len(description) < DESCRIPTION_MIN:
        # Translators: ends the description of a ticket made from an email with (almost) no text.
        origin = _("(email from %(address)s)") % {"address": email.from_address}
        description = (description + "\n\n" if description else "") + origin
    acknowledge = _may_acknowledge(email.from_address)
    ticket = services.ticket_create(
        subject=email.subject or _("(no subject)"),
        description=_fit(description, DESCRIPTION_MAX),
        customer_email=email.from_address,
        customer_name=email.from_name,
        category=_default_category(mailbox),
        **_mailbox_team(mailbox),
        priority=mailbox.priority if mailbox is not None else Ticket.Priority.NORMAL,
        actor=customer_actor(email.from_name, email.from_address),
        channel=Ticket.Channel.EMAIL,
        attachments=uploads,
        acknowledge=acknowledge,
        follow_up_of=match.ticket if match is not None else None,
        email_message_id=email.message_id,
        language=email.header("Content-Language") or None,
    )
    _copy_others(
        email, ticket, sender=sender, actor=customer_actor(email.from_name, email.from_address), mailbox=mailbox
    )
    row.ticket, row.outcome, row.acknowledged = ticket, Outcome.TICKET, acknowledge
    if match is not None:
        row.reason = f"follow-up of closed ticket #{match.ticket.pk}"


def _own_addresses(email: ParsedEmail, mailbox: Mailbox | None) -> set[str]:
    """Addresses at our end of an email besides SUPPORT_EMAIL and DEFAULT_FROM_EMAIL: where
    our server delivered it (Delivered-To, X-Original-To: an alias forwarding to us) and the
    mailboxes' own addresses (their sign-in names, when addresses)."""
    values = [*email.headers.get("delivered-to", []), *email.headers.get("x-original-to", [])]
    own = {address_only(address) for _name, address in getaddresses(values) if "@" in address}
    usernames = Mailbox.objects.filter(username__contains="@").values_list("username", flat=True)
    own |= {address_only(username) for username in usernames}
    if mailbox is not None and "@" in mailbox.username:
        own.add(address_only(mailbox.username))
    return own


def _copy_others(email: ParsedEmail, ticket: Ticket, *, sender: str, actor: Actor, mailbox: Mailbox | None) -> None:
    """Copy on the ticket the people the email was also written to (To and Cc), but not our
    own addresses, the sender or the customer; skipped past the ticket's CC bound (an email
    is never refused for its recipients)."""
    own = _own_addresses(email, mailbox)
    customer = ticket.customer_email.lower()
    others = []
    for address in [*email.to, *email.cc]:
        address = address_only(address)
        if address in (sender, customer) or address in own or kinds.is_own_address(address):
            continue
        if address not in others:
            others.append(address)
    if others:
        ticket_cc_add(ticket=ticket, emails=others, actor=actor, notify=False, strict=False)


def _record_bounce(email: ParsedEmail, row: InboundEmail, kind: kinds.Kind) -> None:
    """Flag the addresses our mail could not reach; link the bounce to the ticket it names."""
    ticket_id = ticket_for_message_ids(kind.bounced_ids) if kind.bounced_ids else None
    ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None
    row.ticket = ticket
    addresses = {address_only(value) for value in kind.bounced_recipients if "@" in value}
    if not addresses and ticket is not None:
        addresses = {ticket.customer_email.lower()}
    now = timezone.now()
    for address in addresses:
        bounced, created = BouncedAddress.objects.get_or_create(
            email=address, defaults={"reason": kind.reason, "first_bounced_at": now, "last_bounced_at": now}
        )
        if not created:
            BouncedAddress.objects.filter(pk=bounced.pk).update(
                bounces=bounced.bounces + 1, last_bounced_at=now, reason=kind.reason
            )
    customers_mark_bouncing(addresses)  # the profile says so too, until an agent clears it


def forget_bounces(*, addresses: list[str]) -> int:
    """Mail to `addresses` works again (an agent cleared the profile's "bouncing" flag):
    their BouncedAddress rows go, one statement. Registered with customers.bounces."""
    addresses = sorted({address.strip().lower() for address in addresses if address})
    if not addresses:
        return 0
    return BouncedAddress.objects.filter(email__in=addresses).delete()[0]


# --- For the routes that fetch mail themselves (IMAP, Maildir, MTA pipe) -------------------

# Failures that go away by themselves (the database or the disk is unavailable): the email
# stays where it is (in the mailbox, the Maildir, the MTA's queue) and is taken next time.
TEMPORARY_ERRORS = (OperationalError, InterfaceError, OSError)

# Headers kept of an email too large to take (the rest of it is never read).
_OVERSIZED_HEADER_BYTES = 256 * 1024


def ingest_or_quarantine(raw: bytes, *, route: str, mailbox: Mailbox | None = None) -> InboundEmail:
    """ingest(), except that an email it fails on for a reason that will not go away by itself
    (data a service refuses, a bug) is quarantined with that error, re-ingestable from admin,
    so that one email never blocks a mailbox. TEMPORARY_ERRORS are raised: retry later."""
    try:
        return ingest(raw, route=route, mailbox=mailbox)
    except TEMPORARY_ERRORS:
        raise
    except Exception as error:
        logger.exception("email could not be processed; quarantined")
        return quarantine(raw, f"could not be processed: {type(error).__name__}: {error}", route=route, mailbox=mailbox)


def quarantine(raw: bytes, reason: str, *, route: str, mailbox: Mailbox | None = None) -> InboundEmail:
    """Keep an email in quarantine with its reason (once: a second arrival returns the row)."""
    raw = bytes(raw)
    return _quarantine(raw, content_hash(raw), reason, route=route, mailbox=mailbox)


def refuse_oversized(headers: bytes, size: int, *, route: str, mailbox: Mailbox | None = None) -> InboundEmail:
    """Refuse an email larger than MAIL_MAX_BYTES known by its headers and size alone, as
    ingest() refuses one it was given whole: recorded with its headers, the sender told why."""
    headers = split_headers(bytes(headers))[:_OVERSIZED_HEADER_BYTES]
    row = _refuse(headers, content_hash(headers), too_large(size), route=route, mailbox=mailbox)
    if row.size != size:
        row.size = min(size, 2**31 - 1)
        InboundEmail.objects.filter(pk=row.pk).update(size=row.size)
    return row
