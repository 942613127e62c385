"""Related tickets: a symmetric link between two tickets (TicketLink), listed on both pages.

A pair is stored once, lower id first (the table's check and unique constraints), so that
linking #7 to #3 and #3 to #7 is the same link. Adding and removing it records a LINK event
on both tickets ("added 7" on #3, "added 3" on #7). (tickets.links is another thing: the
customers' private links.)
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from agents.roles import Actor
from core.refusals import Refusal
from tickets.history import record_event, reported
from tickets.models import EventKind, Ticket, TicketLink
from tickets.selectors import tickets_for_user

# At most this many tickets linked to one ticket: the page lists them all.
LINKS_MAX = 50


class LinkRefused(Refusal):
    """The link cannot be added; the message says why (answered 400, naming `ticket`)."""

    status_code = 400

    def payload(self) -> dict:
        return {"ticket": [str(self)]}


def _pair(ticket: Ticket, other: Ticket) -> tuple[int, int]:
    return (ticket.pk, other.pk) if ticket.pk < other.pk else (other.pk, ticket.pk)


def _of(ticket_id: int) -> Q:
    return Q(low_id=ticket_id) | Q(high_id=ticket_id)


@reported
def ticket_link_add(*, ticket: Ticket, other: Ticket, actor: Actor) -> bool:
    """Link the two tickets; False if they are linked already. LinkRefused for a ticket
    linked to itself or past LINKS_MAX. The callers check that `actor` may see both."""
    if ticket.pk == other.pk:
        raise LinkRefused(_("A ticket cannot be linked to itself."))
    low, high = _pair(ticket, other)
    # Both rows locked, lowest id first: two links added to a ticket at once cannot pass
    # LINKS_MAX together, and no two callers wait for each other's second lock.
    for pk in (low, high):
        Ticket.objects.select_for_update(of=("self",)).only("id").get(pk=pk)
    if TicketLink.objects.filter(low_id=low, high_id=high).exists():
        return False
    for side in (ticket, other):
        if TicketLink.objects.filter(_of(side.pk)).count() >= LINKS_MAX:
            raise LinkRefused(
                _("Ticket %(number)s has %(max)d linked tickets already; remove one first.")
                % {"number": side.number, "max": LINKS_MAX}
            )
    TicketLink.objects.create(low_id=low, high_id=high, created_by=actor.user if actor.user and actor.user.pk else None)
    record_event(ticket=ticket, kind=EventKind.LINK, actor=actor, new=f"added {other.pk}")
    record_event(ticket=other, kind=EventKind.LINK, actor=actor, new=f"added {ticket.pk}")
    return True


@reported
def ticket_link_remove(*, ticket: Ticket, other_id: int, actor: Actor) -> bool:
    """Unlink the ticket from ticket `other_id`; False if they were not linked."""
    if not 0 < other_id < 2**63:  # no ticket has it, and it cannot be bound as a bigint
        return False
    low, high = sorted((ticket.pk, other_id))
    deleted, _rows = TicketLink.objects.filter(low_id=low, high_id=high).delete()
    if not deleted:
        return False
    record_event(ticket=ticket, kind=EventKind.LINK, actor=actor, new=f"removed {other_id}")
    other = Ticket.objects.filter(pk=other_id).first()
    if other is not None:
        record_event(ticket=other, kind=EventKind.LINK, actor=actor, new=f"removed {ticket.pk}")
    return True


def linked_ticket_ids(ticket: Ticket) -> list[int]:
    """The ids of the tickets linked to `ticket`, in the order they were linked."""
    rows = TicketLink.objects.filter(_of(ticket.pk)).order_by("created_at", "id").values_list("low_id", "high_id")
    return [high if low == ticket.pk else low for low, high in rows]


def linked_tickets_for_user(user, ticket: Ticket) -> list[Ticket]:
    """The tickets linked to `ticket` that `user` may see (tickets.selectors), in link order:
    a linked ticket of a restricted team hidden from them is left out, not named."""
    ids = linked_ticket_ids(ticket)
    if not ids:
        return []
    found = {linked.pk: linked for linked in tickets_for_user(user).filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]
