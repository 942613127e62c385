"""Which ticket an incoming email belongs to, in this order:

1. a signed reply address among its recipients (tickets.threading.reply_address): ours,
   and no other ticket's can be made from it;
2. In-Reply-To or References naming a Message-ID of a ticket's thread, ours or the
   customer's (tickets.ThreadMessageId, one unique-index probe);
3. `[#<id>]` in the subject, only when the sender is that ticket's customer (any address of
   their profile, tickets.profiles): anyone can type a number.

A ticket merged into another (tickets.merging) stands for the ticket it was merged into: the
customer's answer to an email of the duplicate lands where the conversation went on.

Matching says nothing of who may write in the ticket's public thread: mail.ingest adds mail
from anyone but the customer as an internal note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mail.parsing import ParsedEmail, address_only
from tickets.models import Ticket
from tickets.profiles import customer_tickets_q
from tickets.threading import ticket_for_message_ids, ticket_id_from_address

_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")


# At most this many merges followed (a chain of duplicates; the merge refuses loops, this
# only bounds the reads).
MERGES_FOLLOWED = 10


@dataclass(frozen=True)
class Match:
    ticket: Ticket
    how: str  # "reply address", "message id", "subject"


def find_ticket(email: ParsedEmail) -> Match | None:
    match = _find_ticket(email)
    if match is None or match.ticket.merged_into_id is None:
        return match
    ticket = match.ticket
    for _ in range(MERGES_FOLLOWED):
        if ticket.merged_into_id is None:
            break
        survivor = Ticket.objects.filter(pk=ticket.merged_into_id).first()
        if survivor is None:
            break
        ticket = survivor
    return Match(ticket, match.how)


def _find_ticket(email: ParsedEmail) -> Match | None:
    for address in email.recipients:
        ticket_id = ticket_id_from_address(address)
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is not None:
                return Match(ticket, "reply address")
    if email.thread_ids:
        ticket_id = ticket_for_message_ids(email.thread_ids)
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is not None:
                return Match(ticket, "message id")
    for number in _SUBJECT_TAG.findall(email.subject):
        ticket = Ticket.objects.filter(customer_tickets_q(address_only(email.from_address)), pk=int(number)).first()
        if ticket is not None:
            return Match(ticket, "subject")
    return None
