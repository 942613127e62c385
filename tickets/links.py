"""The private ticket links: signed, unguessable, revocable, and optionally dated.

The customer's token signs the ticket id together with the ticket's random access key, and
the moment it was made. A tampered token fails the signature; a forged one needs SECRET_KEY;
rotating the access key (tickets.services.ticket_rotate_link) revokes every link sent before;
with PORTAL_LINK_MAX_AGE_DAYS set, a link older than that no longer opens (the customer asks
for fresh links on the lookup page).

Each address copied on the ticket (TicketCC) has a link of its own, signed the same way with
its own access key: [ticket id, "cc", CC id, CC access key]. Removing the CC deletes its key,
so its link answers 404; the customer's link and the other CCs' are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from tickets.models import Ticket, TicketCC

_SALT = "tickets.private-link"


def private_token(ticket: Ticket) -> str:
    return signing.dumps([ticket.pk, ticket.access_key], salt=_SALT)


def private_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("portal:ticket", kwargs={"token": private_token(ticket)})


def cc_token(cc: TicketCC) -> str:
    return signing.dumps([cc.ticket_id, "cc", cc.pk, cc.access_key], salt=_SALT)


def cc_url(cc: TicketCC) -> str:
    return settings.SITE_URL + reverse("portal:ticket", kwargs={"token": cc_token(cc)})


@dataclass(frozen=True)
class Reader:
    """Who opened a private link: the ticket's customer (cc None) or one of its CCs."""

    ticket: Ticket
    cc: TicketCC | None = None

    @property
    def is_customer(self) -> bool:
        return self.cc is None

    @property
    def token(self) -> str:
        return private_token(self.ticket) if self.cc is None else cc_token(self.cc)


def _signed(token: str) -> list | None:
    days = settings.PORTAL_LINK_MAX_AGE_DAYS
    try:
        value = signing.loads(token, salt=_SALT, max_age=days * 86400 if days else None)
    except (signing.BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    return value if isinstance(value, list) else None


def _ticket(pk: int) -> Ticket | None:
    return Ticket.objects.select_related("category", "assigned_agent").filter(pk=pk).first()


def reader_for_token(token: str) -> Reader | None:
    """The ticket and reader a private link names, or None (tampered, expired, revoked)."""
    value = _signed(token)
    if value is None:
        return None
    if len(value) == 2:
        pk, access_key = value
        if not isinstance(pk, int) or not isinstance(access_key, str):
            return None
        ticket = _ticket(pk)
        if ticket is None or not constant_time_compare(ticket.access_key, access_key):
            return None
        return Reader(ticket)
    if len(value) == 4 and value[1] == "cc":
        pk, _cc, cc_id, access_key = value
        if not isinstance(pk, int) or not isinstance(cc_id, int) or not isinstance(access_key, str):
            return None
        cc = TicketCC.objects.filter(pk=cc_id, ticket_id=pk).first()
        if cc is None or not constant_time_compare(cc.access_key, access_key):
            return None
        ticket = _ticket(pk)
        return Reader(ticket, cc) if ticket is not None else None
    return None


def ticket_for_token(token: str) -> Ticket | None:
    """The ticket of a customer's link (not a CC's), or None."""
    reader = reader_for_token(token)
    return reader.ticket if reader is not None and reader.is_customer else None
