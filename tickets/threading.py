"""Email threading of a ticket: the headers of every email a customer gets about it.

Each email to a customer about a ticket carries:
- a Message-ID of its own under the site's domain, stored (ThreadMessageId) with the message
  it carries, if any;
- In-Reply-To and References naming the ticket's earlier ids, the customer's own included, so
  mail clients show one conversation and a reply names ids the helpdesk knows;
- `[#<id>]` in the subject;
- a Reply-To of SUPPORT_EMAIL plus-addressed with a signed token (support+t42-<hmac>@…): it
  routes the answer back to this ticket, and no other ticket's token can be made from it;
- `Auto-Submitted: auto-replied` (RFC 3834) when no person wrote it, so that well-behaved
  auto-responders stay quiet.

Incoming mail is matched against the same ids and tokens by the mail app (mail.threading).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.crypto import constant_time_compare, salted_hmac

from notifications.models import Notification
from notifications.services import email_enqueue
from tickets.models import MESSAGE_ID_MAX, Message, ThreadMessageId, Ticket

# At most this many ids in References: the first (the thread's root) and the newest.
REFERENCES_MAX = 20
# The line an agent's reply puts above the quoted text; what a customer writes above it is
# their answer (mail.replies cuts there first). The words are the same in every language.
REPLY_MARKER = "--- reply above this line ---"

_TOKEN_SALT = "tickets.threading.reply-address"  # noqa: S105  # nosec B105  # a salt, not a secret
_TOKEN = re.compile(r"^t(\d{1,12})-([0-9a-f]{16})$")


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def new_message_id(ticket_id: int) -> str:
    """`<t42.<random>@site-domain>`: unique, and says which ticket it is about."""
    return f"<t{ticket_id}.{secrets.token_hex(10)}@{site_domain()}>"


def normalize_message_id(value: str) -> str:
    """The stored form of a Message-ID: angle brackets and spaces kept out, bounded length.

    An id longer than the column (legal, if odd) is stored as its SHA-256, both when it is
    recorded and when it is looked up, so it still matches.
    """
    value = value.strip().strip("<>").strip()
    if len(value) > MESSAGE_ID_MAX:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
    return value


def _signature(ticket_id: int) -> str:
    return salted_hmac(_TOKEN_SALT, str(ticket_id), algorithm="sha256").hexdigest()[:16]


def reply_token(ticket_id: int) -> str:
    return f"t{ticket_id}-{_signature(ticket_id)}"


def reply_address(ticket_id: int) -> str:
    """SUPPORT_EMAIL plus-addressed with the ticket's signed token."""
    local, _, domain = settings.SUPPORT_EMAIL.rpartition("@")
    return f"{local}+{reply_token(ticket_id)}@{domain}"


def ticket_id_from_address(address: str) -> int | None:
    """The ticket a signed reply address routes to, or None (not ours, or not signed right).

    Lower case is accepted: some mail systems lowercase local parts, and the token is
    lowercase already.
    """
    local, _, domain = address.strip().lower().rpartition("@")
    support_local, _, support_domain = settings.SUPPORT_EMAIL.lower().rpartition("@")
    if domain != support_domain:
        return None
    base, plus, token = local.partition("+")
    if not plus or base != support_local:
        return None
    match = _TOKEN.match(token)
    if match is None:
        return None
    ticket_id = int(match.group(1))
    return ticket_id if constant_time_compare(match.group(2), _signature(ticket_id)) else None


def thread_ids(ticket_id: int) -> list[str]:
    """The ticket's Message-IDs, oldest first: the first and the newest REFERENCES_MAX - 1.

    One statement for a thread shorter than that (nearly all); a second finds the root of
    a longer one.
    """
    newest = list(
        ThreadMessageId.objects.filter(ticket_id=ticket_id)
        .order_by("-created_at", "-id")
        .values_list("email_id", flat=True)[:REFERENCES_MAX]
    )
    if len(newest) < REFERENCES_MAX:
        return newest[::-1]
    first = (
        ThreadMessageId.objects.filter(ticket_id=ticket_id)
        .order_by("created_at", "id")
        .values_list("email_id", flat=True)
        .first()
    )
    ids = newest[: REFERENCES_MAX - 1][::-1]
    return [first, *ids] if first is not None and first not in ids else ids


def record_thread_ids(
    *, ticket_id: int, message_ids: Iterable[str], outgoing: bool, message: Message | None = None
) -> None:
    """Remember ids of the ticket's thread; an id already known (to any ticket) is kept as it is."""
    rows = [
        ThreadMessageId(ticket_id=ticket_id, email_id=normalize_message_id(value), outgoing=outgoing, message=message)
        for value in message_ids
        if value and normalize_message_id(value)
    ]
    if rows:
        ThreadMessageId.objects.bulk_create(rows, ignore_conflicts=True)


def ticket_for_message_ids(message_ids: Iterable[str]) -> int | None:
    """The ticket of the newest of these ids that the helpdesk knows (one index probe per id)."""
    keys = [normalize_message_id(value) for value in message_ids if value and value.strip("<> ")]
    if not keys:
        return None
    row = (
        ThreadMessageId.objects.filter(email_id__in=keys)
        .order_by("-created_at", "-id")
        .values_list("ticket_id", flat=True)
        .first()
    )
    return row


def _header_ids(ids: list[str]) -> str:
    # Plain msg-ids separated by spaces: never RFC 2047-encoded (Outlook drops those).
    return " ".join(f"<{value}>" for value in ids)


def automatic_headers() -> dict[str, str]:
    """An email no person wrote, about no one ticket (the private-links email)."""
    return {
        "Message-ID": f"<auto.{secrets.token_hex(10)}@{site_domain()}>",
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }


def thread_headers(
    ticket: Ticket, message_id: str, *, automatic: bool, known: list[str] | None = None
) -> dict[str, str]:
    ids = thread_ids(ticket.pk) if known is None else known
    headers = {"Message-ID": message_id, "Reply-To": reply_address(ticket.pk)}
    plain = [value for value in ids if not value.startswith("sha256:")]
    if plain:
        headers["In-Reply-To"] = _header_ids(plain[-1:])
        headers["References"] = _header_ids(plain)
    if automatic:
        # X-Auto-Response-Suppress: Exchange and Outlook send no out-of-office answer to it.
        headers.update({k: v for k, v in automatic_headers().items() if k != "Message-ID"})
    return headers


def ticket_email(
    *,
    ticket: Ticket,
    to: str,
    kind: str,
    template: str,
    context: dict[str, Any],
    automatic: bool,
    message: Message | None = None,
    user: AbstractBaseUser | None = None,
    thread: list[str] | None = None,
) -> Notification:
    """Queue an email about `ticket` to its customer, threaded (see the module's docstring).

    Call it inside the change's transaction: the Message-ID is recorded with the outbox row.
    `thread`: the ticket's ids (thread_ids) when the caller knows them already, as a ticket
    being created does; read from the database otherwise.
    """
    message_id = new_message_id(ticket.pk)
    headers = thread_headers(ticket, message_id, automatic=automatic, known=thread)
    record_thread_ids(ticket_id=ticket.pk, message_ids=[message_id], outgoing=True, message=message)
    context = {"reply_marker": REPLY_MARKER, **context}
    return email_enqueue(
        to=to,
        kind=kind,
        template=template,
        context=context,
        user=user,
        headers=headers,
        subject_tag=f"[#{ticket.pk}]",
        language=ticket.reading_language,
    )
