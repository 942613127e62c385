"""Addresses copied on a ticket (TicketCC): who they are, and adding and removing them.

A CC receives the ticket's public replies by email, each with a private link of its own
(tickets.links.cc_url), and may answer through it or by email; the answer is a customer-side
message under the CC's address (Message.author_email). A ticket has at most CC_MAX of them.
They come from the portal's form, the API, an agent on the ticket page, and the To and Cc of
an inbound email (mail.ingest, which passes `strict=False`: what cannot be added is skipped,
never a reason to lose the email).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agents.models import validate_email_shape
from agents.roles import Actor
from core.refusals import Refusal
from customers.models import Customer, normalize_email
from customers.services import customer_by_address
from tickets.history import record_event, reported
from tickets.models import EventKind, Ticket, TicketCC
from tickets.notices import notify_cc_of_addition

# At most this many addresses copied on one ticket.
CC_MAX = 20


class CCRefused(Refusal):
    """An address that cannot be copied on the ticket: answered 400, naming the `cc` field."""

    status_code = 400

    def payload(self) -> dict:
        return {"cc": [str(self)]}


def normalize_cc(address: str) -> str:
    """`address` as a CC is stored (trimmed, lower case), or CCRefused saying why not."""
    email = (address or "").strip().lower()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
        validate_email_shape(email)
    except ValidationError:
        # Translators: "address" is what was typed as an address to copy on a ticket.
        raise CCRefused(_("%(address)s is not a valid email address.") % {"address": address[:300]}) from None
    return email


def is_support_address(email: str) -> bool:
    """SUPPORT_EMAIL (plus-addressed or not) or DEFAULT_FROM_EMAIL: copying the helpdesk on
    its own ticket would mail itself."""
    support = (parseaddr(settings.SUPPORT_EMAIL)[1] or settings.SUPPORT_EMAIL).strip().lower()
    sender = (parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL).strip().lower()
    support_local, _at, support_domain = support.rpartition("@")
    local, _at, domain = email.rpartition("@")
    return email == sender or (domain == support_domain and local.split("+", 1)[0] == support_local)


def customer_addresses(customer_email: str = "", customer: Customer | None = None) -> frozenset[str]:
    """Every address of the ticket's customer: `customer_email` and its profile's address and
    aliases (`customer`, else the profile `customer_email` is an address of)."""
    email = normalize_email(customer_email)
    if customer is None and email:
        customer = customer_by_address(email)
    addresses = {email, *((customer.email, *customer.aliases) if customer is not None else ())}
    return frozenset(normalize_email(address) for address in addresses) - {""}


def clean_cc_list(
    addresses: Iterable[str],
    *,
    customer_email: str = "",
    existing: int = 0,
    own: Collection[str] | None = None,
) -> list[str]:
    """The addresses as stored, without repeats; CCRefused for an invalid one, any of the
    customer's own (`own`, else `customer_addresses(customer_email)`: the ticket's address
    and its profile's, aliases included), the helpdesk's, or more than CC_MAX in all
    (`existing` already on the ticket). Forms and serializers call it to name the field; the
    services call it again."""
    cleaned: list[str] = []
    if own is None:
        own = customer_addresses(customer_email) if customer_email else frozenset()
    ticket_address = normalize_email(customer_email)
    for address in addresses:
        email = normalize_cc(address)
        if email in own:
            if not ticket_address or email == ticket_address:
                message = _("%(address)s is the customer's own address; it receives the replies already.")
            else:
                message = _(
                    "%(address)s is another address of the ticket's customer; they receive the replies already."
                )
            raise CCRefused(message % {"address": email})
        if is_support_address(email):
            raise CCRefused(_("%(address)s is the helpdesk's own address.") % {"address": email})
        if email not in cleaned:
            cleaned.append(email)
    if existing + len(cleaned) > CC_MAX:
        raise CCRefused(
            ngettext(
                "A ticket can have at most %(max)d address in copy.",
                "A ticket can have at most %(max)d addresses in copy.",
                CC_MAX,
            )
            % {"max": CC_MAX}
        )
    return cleaned


@reported
def ticket_cc_add(
    *, ticket: Ticket, emails: Iterable[str], actor: Actor, notify: bool = True, strict: bool = True
) -> list[TicketCC]:
    """Copy `emails` on the ticket; returns the CCs added (an address copied already is left
    as it is). Each is recorded in the history and, with `notify`, emailed its private link.

    `strict`: refuse the whole change (CCRefused) for an invalid address, one of the
    customer's (the ticket's address, its profile's and its aliases), the helpdesk's, or one
    past CC_MAX; without it (inbound email) those are skipped. The ticket is locked so that
    two additions at once cannot pass CC_MAX together.
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    present = set(TicketCC.objects.filter(ticket=ticket).values_list("email", flat=True))
    own = customer_addresses(ticket.customer_email, ticket.customer)
    wanted: list[str] = []
    for address in emails:
        try:
            email = clean_cc_list([address], customer_email=ticket.customer_email, own=own)[0]
        except CCRefused:
            if strict:
                raise
            continue
        if email not in present and email not in wanted:
            wanted.append(email)
    room = CC_MAX - len(present)
    if len(wanted) > room:
        if strict:
            clean_cc_list(wanted, existing=len(present))  # raises, with the words
        wanted = wanted[: max(room, 0)]
    added = []
    for email in wanted:
        cc = TicketCC.objects.create(ticket=ticket, email=email)
        record_event(ticket=ticket, kind=EventKind.CC, actor=actor, new=f"added {email}")
        if notify:
            notify_cc_of_addition(ticket, cc, actor=actor)
        added.append(cc)
    return added


@reported
def ticket_cc_remove(*, ticket: Ticket, cc: TicketCC, actor: Actor) -> None:
    """Stop copying an address: it gets no more replies, and its private link answers 404
    (its access key goes with the row)."""
    deleted, _rows = TicketCC.objects.filter(pk=cc.pk, ticket_id=ticket.pk).delete()
    if deleted:
        record_event(ticket=ticket, kind=EventKind.CC, actor=actor, new=f"removed {cc.email}")


def ticket_ccs(ticket: Ticket) -> list[TicketCC]:
    return list(TicketCC.objects.filter(ticket_id=ticket.pk).order_by("created_at", "id"))


def cc_of(ticket: Ticket, address: str) -> TicketCC | None:
    """The ticket's CC of this address (any case), or None."""
    return TicketCC.objects.filter(ticket_id=ticket.pk, email=(address or "").strip().lower()).first()
