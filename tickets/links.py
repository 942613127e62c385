"""The customer's private ticket link: signed, unguessable, revocable, and optionally dated.

The token signs the ticket id together with the ticket's random access key, and the moment
it was made. A tampered token fails the signature; a forged one needs SECRET_KEY; rotating
the access key (tickets.services.ticket_rotate_link) revokes every link sent before; with
PORTAL_LINK_MAX_AGE_DAYS set, a link older than that no longer opens (the customer asks for
fresh links on the lookup page).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from tickets.models import Ticket

_SALT = "tickets.private-link"


def private_token(ticket: Ticket) -> str:
    return signing.dumps([ticket.pk, ticket.access_key], salt=_SALT)


def private_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("portal:ticket", kwargs={"token": private_token(ticket)})


def ticket_for_token(token: str) -> Ticket | None:
    days = settings.PORTAL_LINK_MAX_AGE_DAYS
    try:
        pk, access_key = signing.loads(token, salt=_SALT, max_age=days * 86400 if days else None)
    except (signing.BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(pk, int) or not isinstance(access_key, str):
        return None
    ticket = Ticket.objects.select_related("category", "assigned_agent").filter(pk=pk).first()
    if ticket is None or not constant_time_compare(ticket.access_key, access_key):
        return None
    return ticket
