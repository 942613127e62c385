"""Tickets and the customer profiles they belong to (customers.Customer).

Two functions fill customers' seams in TicketsConfig.ready (customers sits below tickets):
`move_tickets` is what a merge of two profiles does to tickets (customers.merging), and
`ticket_summary` is what a profile's page in the API shows of its tickets
(customers.summaries).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from agents.roles import Actor
from customers.models import Customer, alias_is, normalize_email
from tickets.models import ACTIVE_STATUSES, EventKind, Ticket, TicketEvent
from tickets.selectors import tickets_for_user


def move_tickets(*, source: Customer, target: Customer, actor: Actor) -> int:
    """Every ticket of `source` now belongs to `target`, each with a CUSTOMER event in its
    history: one statement (an UPDATE ... RETURNING feeding an INSERT), however many tickets
    the person wrote. The tickets keep their customer_email (the address each conversation
    is written to); their updated_at moves on, as the API shows their `customer` (a sync
    client reads them again)."""
    quote = connection.ops.quote_name
    tickets, events = quote(Ticket._meta.db_table), quote(TicketEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {tickets} SET customer_id = %s, updated_at = %s "  # noqa: S608  # nosec B608
            "WHERE customer_id = %s RETURNING id) "
            f"INSERT INTO {events} (ticket_id, kind, actor_type, actor_user_id, actor_name, old_value, new_value, "
            "created_at) SELECT id, %s, %s, %s, %s, %s, %s, %s FROM moved",
            [
                target.pk,
                timezone.now(),
                source.pk,
                EventKind.CUSTOMER.value,
                actor.type,
                actor.user.pk if actor.user is not None and actor.user.pk else None,
                actor.name[:255],
                source.email,
                target.email,
                timezone.now(),
            ],
        )
        return cursor.rowcount


def is_customer_address(ticket: Ticket, address: str) -> bool:
    """Whether mail from `address` is from the ticket's customer: the address the ticket is
    written to, or any address of their profile (one merged into it is kept as an alias)."""
    address = normalize_email(address)
    if address == normalize_email(ticket.customer_email):
        return True
    if ticket.customer_id is None:
        return False
    return Customer.objects.filter(pk=ticket.customer_id).filter(Q(email=address) | alias_is(address)).exists()


def customer_tickets_q(address: str) -> Q:
    """Tickets of the person writing from `address`: written to it, or of the profile it is
    an address of."""
    address = normalize_email(address)
    return (
        Q(customer_email__iexact=address)
        | Q(customer__email=address)
        | (Q(customer__aliases__contains=[address]) & ~Q(customer__aliases=[]))
    )


def ticket_summary(*, user, customer=None, organization=None, newest: int = 5) -> dict:
    """The tickets of a profile or an organisation that `user` may see
    (selectors.tickets_for_user): open and total counts in one statement, the newest few in
    another. Registered with customers.summaries."""
    tickets = tickets_for_user(user)
    if customer is not None:
        tickets = tickets.filter(customer=customer)
    elif organization is not None:
        tickets = tickets.filter(customer__organization=organization)
    else:
        return {"open": 0, "total": 0, "newest": []}
    counts = tickets.order_by().aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=ACTIVE_STATUSES)))
    rows = tickets.order_by("-created_at", "-id").values("id", "subject", "status", "priority", "created_at")[:newest]
    return {
        "open": counts["open"],
        "total": counts["total"],
        "newest": [{**row, "number": Ticket(pk=row["id"]).number} for row in rows],
    }
