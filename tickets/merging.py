"""Merging a duplicate ticket into another, and splitting a message off into a ticket of its own.

A merge moves the whole conversation of the duplicate (the source) to the ticket that goes on
(the target) and closes the source, pointing at the target (Ticket.merged_into). The customer
is told by email, threaded on the source (the conversation they know), that their request
continues on the target. A split is the converse for one message: it becomes the opening
description of a new ticket of the same customer, linked to the original (tickets.related).

Both take their tickets' row locks in id order, whichever side the agent started from: two
agents merging #1 into #2 and #2 into #1 at the same moment wait for each other instead of
deadlocking, and the second is then refused (its source or target is merged and closed).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from agents.roles import Actor
from core.refusals import Refusal
from customers.models import normalize_email
from tickets import lifecycle
from tickets.ccs import cc_of, customer_addresses, ticket_cc_add
from tickets.history import record_event, reported
from tickets.links import cc_url, private_url
from tickets.models import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    SUBJECT_MAX,
    Attachment,
    AuthorType,
    Channel,
    EventKind,
    Message,
    Source,
    Status,
    Ticket,
    TicketCC,
)
from tickets.queries import refresh_search_vector
from tickets.related import ticket_link_add
from tickets.selectors import may_see
from tickets.services import ticket_create
from tickets.threading import ticket_email


class MergeRefused(Refusal):
    """The merge cannot be made; the message says why (answered 409 by the API)."""


class SplitRefused(Refusal):
    """The message cannot be split off; the message says why (answered 409 by the API)."""


# A ticket's channel as the source of the message its description becomes.
_CHANNEL_SOURCES = {
    Channel.PORTAL: Source.PORTAL,
    Channel.API: Source.API,
    Channel.AGENT: Source.AGENT,
    Channel.EMAIL: Source.EMAIL,
}


def _lock_in_id_order(*tickets: Ticket) -> dict[int, Ticket]:
    """The tickets' rows, locked one after the other, lowest id first (see the module's docstring)."""
    locked = {}
    for pk in sorted({ticket.pk for ticket in tickets}):
        locked[pk] = Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)
    return locked


def merge_refusal(*, source: Ticket, target: Ticket, user=None) -> str | None:
    """Why `source` cannot be merged into `target` (by `user`, when given), or None: the
    check the page's confirmation step shows and the service repeats under its locks."""
    if source.pk == target.pk:
        return _("A ticket cannot be merged into itself.")
    if user is not None and not (may_see(user, source) and may_see(user, target)):
        return _("No ticket #%(number)s that you can see.") % {"number": target.pk}
    if source.merged_into_id is not None:
        return _("Ticket %(number)s was merged into #%(other)s already.") % {
            "number": source.number,
            "other": source.merged_into_id,
        }
    if source.status == Status.CLOSED:
        return _("Ticket %(number)s is closed; a closed ticket cannot be merged.") % {"number": source.number}
    if target.merged_into_id is not None:
        return _("Ticket %(number)s was merged into #%(other)s; merge into that one instead.") % {
            "number": target.number,
            "other": target.merged_into_id,
        }
    if target.status == Status.CLOSED:
        return _("Ticket %(number)s is closed; it cannot take another ticket's conversation.") % {
            "number": target.number
        }
    return None


def same_customer(source: Ticket, target: Ticket) -> bool:
    """Whether both tickets are written to the same person: one profile, or the source's
    address is one of the target customer's."""
    if source.customer_id is not None and source.customer_id == target.customer_id:
        return True
    return normalize_email(source.customer_email) in customer_addresses(target.customer_email, target.customer)


@reported
def ticket_merge(*, source: Ticket, target: Ticket, actor: Actor) -> Ticket:
    """Merge the duplicate `source` into `target`; returns the target as merged.

    1. Lock both tickets, lowest id first, and check again (MergeRefused: itself, a ticket
       `actor` may not see, a source merged or closed already, a target merged or closed).
    2. The source's opening description becomes a message on the target, written when the
       source was opened, with the description's attachments; every message of the source
       (with its attachments) moves to the target. Each is marked as merged from the source
       (Message.merged_from), and each keeps its time, so the target's conversation stays in
       time order.
    3. The source's CCs and followers join the target's; when the customers differ, the
       source's customer is copied on the target (a CC), and their messages say so.
    4. A MERGE event on each ticket; the source's own history stays with it.
    5. The source is closed directly, not through the state machine (which closes only a
       resolved ticket): resolving a duplicate would send a satisfaction survey and settle
       an SLA result for a request that goes on elsewhere. The STATUS_CHANGING hook still
       stops its SLA clock, and a STATUS event records the close.
    6. The source's customer is emailed, in their language and threaded on the source, that
       their request continues on the target, with the link that opens it for them.
    """
    locked = _lock_in_id_order(source, target)
    source, target = locked[source.pk], locked[target.pk]
    refusal = merge_refusal(source=source, target=target, user=actor.user)
    if refusal is not None:
        raise MergeRefused(refusal)
    now = timezone.now()
    same = same_customer(source, target)
    # 3. (first: the source customer's messages below are marked as a CC's)
    source_ccs = list(TicketCC.objects.filter(ticket=source).values_list("email", flat=True))
    wanted = [] if same else [source.customer_email]
    ticket_cc_add(ticket=target, emails=[*wanted, *source_ccs], actor=actor, notify=False, strict=False)
    target.followers.add(*source.followers.all())
    # 2.
    description = Message.objects.create(
        ticket=target,
        author_type=AuthorType.CUSTOMER,
        author_name=(source.customer_name or source.customer_email)[:255],
        author_email="" if same else normalize_email(source.customer_email),
        body=source.description,
        created_at=source.created_at,
        source=_CHANNEL_SOURCES.get(source.channel, Source.API),
        merged_from=source,
    )
    Attachment.objects.filter(ticket=source, message__isnull=True).update(ticket=target, message=description)
    if not same:
        Message.objects.filter(ticket=source, author_type=AuthorType.CUSTOMER, author_email="").update(
            author_email=normalize_email(source.customer_email), updated_at=now
        )
    # Moved messages count as changed: a sync client reads them again, now on the target.
    Message.objects.filter(ticket=source).update(ticket=target, merged_from=source, updated_at=now)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    # 4.
    record_event(ticket=source, kind=EventKind.MERGE, actor=actor, new=f"into {target.pk}")
    record_event(ticket=target, kind=EventKind.MERGE, actor=actor, new=f"from {source.pk}")
    # 5.
    previous = source.status
    source.status = Status.CLOSED
    source.status_changed_at = source.closed_at = now
    source.merged_into = target
    fields = ["status", "status_changed_at", "closed_at", "merged_into", "updated_at"]
    fields += lifecycle.fields_changed(lifecycle.STATUS_CHANGING, ticket=source, previous=previous, now=now)
    source.save(update_fields=fields)
    record_event(ticket=source, kind=EventKind.STATUS, actor=actor, old=previous, new=Status.CLOSED)
    # The time rules' clock of the customer's last message: theirs on either ticket.
    if source.customer_message_at and (
        target.customer_message_at is None or source.customer_message_at > target.customer_message_at
    ):
        target.customer_message_at = source.customer_message_at
    target.save(update_fields=["customer_message_at", "updated_at"])
    refresh_search_vector([source.pk, target.pk])
    # 6.
    notify_customer_of_merge(source=source, target=target)
    return target


def continuation_link(target: Ticket, address: str) -> str:
    """The link that opens `target` for `address`, someone of a ticket merged into it: the
    private link when it is the target customer's address, else the link of its CC on the
    target ("" when it is neither: a CC past the bound was not copied)."""
    if normalize_email(address) in customer_addresses(target.customer_email, target.customer):
        return private_url(target)
    cc = cc_of(target, address)
    return cc_url(cc) if cc is not None else ""


def notify_customer_of_merge(*, source: Ticket, target: Ticket) -> None:
    """The source's customer: their request continues on the target, with the link that
    opens it for them (continuation_link)."""
    link = continuation_link(target, source.customer_email)
    ticket_email(
        ticket=source,
        to=source.customer_email,
        kind="ticket.merged",
        template="tickets/email/ticket_merged",
        context={"ticket": source, "target": target, "link": link},
        automatic=True,
    )


# --- Split ---------------------------------------------------------------------------


def split_refusal(message: Message) -> str | None:
    """Why `message` cannot be split off its ticket, or None."""
    if message.ticket.status == Status.CLOSED:
        return _("Ticket %(number)s is closed; its messages stay where they are.") % {"number": message.ticket.number}
    if message.author_type != AuthorType.CUSTOMER:
        return _("Only a customer's message can become a ticket of its own.")
    if not DESCRIPTION_MIN <= len(message.body) <= DESCRIPTION_MAX:
        return _("A ticket's description is %(min)d to %(max)d characters long; this message is %(length)d.") % {
            "min": DESCRIPTION_MIN,
            "max": DESCRIPTION_MAX,
            "length": len(message.body),
        }
    return None


@reported
def message_split(*, message: Message, subject: str, actor: Actor) -> Ticket:
    """Split `message` off its ticket into a new ticket for the same customer; returns it.

    1. Lock the original ticket and check (SplitRefused: a closed ticket, a message not the
       customer's (an agent's reply, a note), a body too short or too long to be a
       description). The opening description is not a Message, so it can never be split.
    2. A new ticket: `subject` (the original's when empty), the message's body as its
       description, the original's customer, category, team, priority and language, through
       the same creation as any ticket (due times, history), without an acknowledgement to
       the customer and not assigned automatically.
    3. The message's attachments move to the new ticket's description; the message leaves
       the original.
    4. The two tickets are linked (tickets.related), and each records a SPLIT event.
    """
    original = Ticket.objects.select_for_update(of=("self",)).get(pk=message.ticket_id)
    found = Message.objects.select_for_update().filter(pk=message.pk, ticket=original).first()
    if found is None:  # merged or split off meanwhile, by someone else
        raise SplitRefused(_("The message is no longer on ticket %(number)s.") % {"number": original.number})
    message = found
    message.ticket = original
    refusal = split_refusal(message)
    if refusal is not None:
        raise SplitRefused(refusal)
    subject = (subject or "").strip()[:SUBJECT_MAX] or original.subject
    new = ticket_create(
        subject=subject,
        description=message.body,
        customer_email=original.customer_email,
        customer_name=original.customer_name,
        category=original.category,
        priority=original.priority,
        channel=Channel.AGENT,
        actor=actor,
        acknowledge=False,
        auto_assign=False,
        language=original.language or None,
        team=original.team,
    )
    Attachment.objects.filter(message=message).update(ticket=new, message=None)
    message_id = message.pk
    message.delete()
    record_event(ticket=original, kind=EventKind.SPLIT, actor=actor, new=f"to {new.pk}")
    record_event(ticket=new, kind=EventKind.SPLIT, actor=actor, new=f"from {original.pk}, message {message_id}")
    ticket_link_add(ticket=original, other=new, actor=actor)
    # A message left the original: a sync client reads it again (its conversation changed).
    Ticket.objects.filter(pk=original.pk).update(updated_at=timezone.now())
    refresh_search_vector([original.pk])
    return new
