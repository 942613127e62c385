"""Every write to tickets: creation, changes, conversation, ratings.

Each service runs in one transaction that also writes the ticket's history and the
outbox rows of the emails the change causes; delivery happens after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, Team
from agents.roles import SYSTEM, Actor
from core.metrics import tickets_created
from core.refusals import Refusal
from customers.models import Customer, normalize_email
from customers.services import customer_for_contact
from tickets import lifecycle
from tickets.assignment import keep_within_capacity, ticket_assign, ticket_auto_assign, ticket_unassign
from tickets.attachments import attachments_save
from tickets.ccs import ticket_cc_add, ticket_cc_remove
from tickets.following import notify_followers, notify_mentions
from tickets.history import record_event, reported
from tickets.languages import customer_language, supported
from tickets.models import (
    ACTIVE_STATUSES,
    AuthorType,
    Category,
    EventKind,
    Message,
    Source,
    Status,
    Tag,
    Ticket,
    TicketCC,
    new_access_key,
)
from tickets.notices import (
    notify_agent_of_customer_reply,
    notify_customer_of_creation,
    notify_customer_of_new_link,
    notify_customer_of_reply,
)
from tickets.queries import refresh_search_vector
from tickets.state_machine import check_transition
from tickets.threading import normalize_message_id, record_thread_ids


class TicketClosed(Refusal):
    """A closed ticket takes no more messages."""


class RatingRefused(Refusal):
    """The message cannot be rated (not a public agent reply, or rated already)."""


def _format_due(ticket: Ticket) -> str:
    if ticket.sla_policy_id is None:
        return "no SLA policy"
    # A policy that applies only after the first reply (its priority changed since) sets no
    # first-response due time: that result was settled when the reply was sent.
    due = [
        f"{what} by {moment:%Y-%m-%d %H:%M} UTC"
        for what, moment in (("first response", ticket.first_response_due_at), ("resolution", ticket.resolution_due_at))
        if moment is not None
    ]
    return f"{ticket.sla_policy.name}: {', '.join(due) or 'no due times'}"


def apply_sla(*, ticket: Ticket, actor: Actor) -> None:
    """Pick the ticket's policy and due times, save them, and record them in the history."""
    before = _format_due(ticket) if ticket.sla_policy_id or ticket.first_response_due_at else ""
    # Due times are part of the ticket as the API shows it: a change bumps updated_at.
    ticket.save(update_fields=["updated_at", *lifecycle.fields_changed(lifecycle.DUE_TIMES, ticket=ticket)])
    after = _format_due(ticket)
    if after != before:
        record_event(ticket=ticket, kind=EventKind.DUE_TIMES, actor=actor, old=before, new=after)


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({name.strip().lower() for name in names if name and name.strip()})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    missing = [Tag(name=name) for name in cleaned if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    return [existing[name] for name in cleaned]


# --- Tickets --------------------------------------------------------------------------

# ticket_create's `team` when the caller names none: the category's team (routing).
ROUTED: Any = object()


@reported
def ticket_create(
    *,
    subject: str,
    description: str,
    customer_email: str,
    category: Category,
    actor: Actor,
    channel: str,
    customer_name: str = "",
    external_customer_id: str = "",
    priority: str = Ticket.Priority.NORMAL,
    tags: Iterable[str] = (),
    attachments: Sequence[UploadedFile] = (),
    auto_assign: bool | None = None,
    acknowledge: bool = True,
    follow_up_of: Ticket | None = None,
    email_message_id: str = "",
    language: str | None = None,
    cc: Sequence[str] = (),
    team: Team | None = ROUTED,
) -> Ticket:
    """Open a ticket. `team` is where it is queued: by default the category's team (routing;
    mail.ingest passes a mailbox's team first), or the one given (None: no team).
    `acknowledge=False` sends the customer no acknowledgement (mail.ingest
    decides for mail: never to an automatic sender, rate-limited per address);
    `email_message_id` starts the ticket's email thread with the customer's mail; `language`
    is the customer's as the channel states it (tickets.languages decides without it); `cc`
    the addresses to copy on it (tickets.ccs: CCRefused for one it cannot take), each told
    with its private link when the customer is acknowledged.

    The ticket joins the customer's profile (customers.customer_for_contact: made on the
    first contact, found by any of its addresses), whose language is used when the channel
    states none; a stated language fills an empty profile's."""
    stated = supported(language)
    now = timezone.now()
    customer = customer_for_contact(email=customer_email, name=customer_name, language=stated or "")
    ticket = Ticket.objects.create(
        created_at=now,
        language=customer_language(stated or (customer.language if customer else None), subject, description),
        customer=customer,
        subject=subject,
        description=description,
        customer_email=customer_email,
        customer_name=customer_name,
        external_customer_id=external_customer_id,
        category=category,
        team_id=category.team_id if team is ROUTED else (team.pk if team is not None else None),
        priority=priority,
        channel=channel,
        follow_up_of=follow_up_of,
        status_changed_at=now,
        customer_message_at=now,
    )
    thread = [normalize_message_id(email_message_id)] if email_message_id else []
    thread = [value for value in thread if value]  # the new ticket's ids, for its acknowledgement
    if thread:
        record_thread_ids(ticket_id=ticket.pk, message_ids=thread, outgoing=False)
    if tags:  # a new ticket has none to clear
        ticket.tags.set(tags_from_names(tags))
    if attachments:
        attachments_save(ticket=ticket, message=None, files=attachments)
    record_event(ticket=ticket, kind=EventKind.CREATED, actor=actor, new=f"{channel}, {priority}, {category.slug}")
    transaction.on_commit(lambda: tickets_created.labels(channel=channel).inc())
    apply_sla(ticket=ticket, actor=actor)
    if ticket.team_id is not None:
        record_event(ticket=ticket, kind=EventKind.TEAM, actor=actor, new=ticket.team.name)
    refresh_search_vector([ticket.pk])
    if acknowledge:
        notify_customer_of_creation(ticket, thread=thread)
    if cc:
        ticket_cc_add(ticket=ticket, emails=cc, actor=actor, notify=acknowledge)
    assign = settings.TICKETS_AUTO_ASSIGN if auto_assign is None else auto_assign
    if assign and ticket_auto_assign(ticket=ticket, actor=SYSTEM) is not None:
        ticket.refresh_from_db()
    return ticket


# The channels of a ticket an agent opens for a customer who is talking to them.
IN_PERSON_CHANNELS = (Ticket.Channel.PHONE, Ticket.Channel.WALK_IN)


@reported
def ticket_open_for_customer(
    *,
    customer_email: str,
    customer_name: str,
    channel: str,
    subject: str,
    description: str,
    category: Category,
    priority: str,
    team: Team | None = ROUTED,
    assignee: Agent | None,
    acknowledge: bool,
    actor: Actor,
) -> Ticket:
    """An agent opens a ticket for a customer on the phone or at the desk: ticket_create (the
    profile found or made by the address, due times, history, triggers) and then the assignee
    chosen on the form, in one transaction, so triggers see the ticket once, assigned, and a
    refused assignment (capacity, a restricted team) leaves no ticket behind. No automatic
    assignment: the agent chose. The customer is emailed an acknowledgement only when
    `acknowledge` (they know about the ticket already: they just asked for it)."""
    if channel not in IN_PERSON_CHANNELS:
        raise ValueError(f"not an in-person channel: {channel!r}")
    ticket = ticket_create(
        subject=subject,
        description=description,
        customer_email=customer_email,
        customer_name=customer_name,
        category=category,
        priority=priority,
        channel=channel,
        team=team,
        auto_assign=False,
        acknowledge=acknowledge,
        actor=actor,
    )
    if assignee is not None:
        ticket = ticket_assign(ticket=ticket, agent=assignee, actor=actor)
    return ticket


def _apply_status(*, ticket: Ticket, target: str, actor: Actor, also: Sequence[str] = ()) -> None:
    """Move the ticket to `target` (checked against the state machine) and record it.
    `also`: fields the caller changed in memory, written by the same save."""
    check_transition(ticket.status, target)
    now = timezone.now()
    previous = ticket.status
    ticket.status = target
    ticket.status_changed_at = now
    fields = ["status", "status_changed_at", "updated_at", *also]
    if target == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif target == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif previous == Status.RESOLVED:  # reopened: it is no longer resolved
        ticket.resolved_at = None
        fields.append("resolved_at")
    fields += lifecycle.fields_changed(lifecycle.STATUS_CHANGING, ticket=ticket, previous=previous, now=now)
    ticket.save(update_fields=fields)
    record_event(ticket=ticket, kind=EventKind.STATUS, actor=actor, old=previous, new=target)
    if previous not in ACTIVE_STATUSES and target in ACTIVE_STATUSES:
        keep_within_capacity(ticket=ticket, actor=actor)
    if target == Status.RESOLVED:
        lifecycle.announce(lifecycle.RESOLVED, ticket=ticket, now=now)


@reported
def ticket_change_status(*, ticket: Ticket, status: str, actor: Actor) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status != status:
        _apply_status(ticket=ticket, target=status, actor=actor)
        notify_followers(ticket=ticket, actor=actor, change="status")
    return ticket


def _picks_another_policy(ticket: Ticket, changes: dict[str, Any]) -> bool:
    """Whether the changes touch a field the SLA policy is picked by (lifecycle.DUE_TIMES_FIELDS);
    a relation is compared by its id, so that reading the ticket's own costs no query."""
    for name in lifecycle.DUE_TIMES_FIELDS:
        if name not in changes:
            continue
        field = Ticket._meta.get_field(name)
        new = changes[name]
        if field.is_relation:
            new = new.pk if new is not None else None
        if new != getattr(ticket, field.attname):
            return True
    return False


def _customer_of(email: str, name: str | None) -> tuple[Customer, str, str]:
    """The profile a ticket moves to, the address it is then written to and the name it
    shows: `email`'s profile (customers.customer_for_contact: found by any of its addresses,
    made on a first contact), the address as typed (normalized; one of the profile's), and
    `name` or else the profile's. A ValidationError naming `customer_email` for an address
    no profile can be keyed by."""
    name = (name or "").strip()[:255]
    customer = customer_for_contact(email=email, name=name)
    if customer is None:
        raise ValidationError({"customer_email": [_("Enter an email address like name@example.com.")]})
    return customer, normalize_email(email), name or customer.name


def _who(name: str, email: str) -> str:
    return f"{name} <{email}>" if name else email


def _move_to_customer(*, ticket: Ticket, customer: Customer, email: str, name: str, actor: Actor) -> None:
    """Point the (locked, unsaved) ticket at another customer, with a CUSTOMER event. A new
    address also replaces the private link (the previous customer's stops opening the ticket;
    the new one is sent theirs with the next reply) and stops copying that address (the
    customer is never their own CC). Nothing when nothing changes."""
    same_address = email == normalize_email(ticket.customer_email)
    if same_address and customer.pk == ticket.customer_id and name == ticket.customer_name:
        return
    record_event(
        ticket=ticket,
        kind=EventKind.CUSTOMER,
        actor=actor,
        old=_who(ticket.customer_name, ticket.customer_email),
        new=_who(name, email),
    )
    if not same_address:
        ticket.access_key = new_access_key()
        cc = TicketCC.objects.filter(ticket_id=ticket.pk, email=email).first()
        if cc is not None:
            ticket_cc_remove(ticket=ticket, cc=cc, actor=actor)
    ticket.customer = customer
    ticket.customer_email = email
    ticket.customer_name = name


@reported
def ticket_change_customer(*, ticket: Ticket, email: str, name: str = "", actor: Actor) -> Ticket:
    """Move the ticket to the customer writing from `email` (see ticket_update's
    `customer_email`): the profile found or made, a CUSTOMER event, the SLA re-applied
    when the profile is another one (policies can be scoped by organisation)."""
    return ticket_update(ticket=ticket, actor=actor, customer_email=email, customer_name=name)


@reported
def ticket_update(*, ticket: Ticket, actor: Actor, **changes: Any) -> Ticket:
    """Change any of subject, priority, category, team, tags, external_customer_id, status,
    and the customer (`customer_email`, with an optional `customer_name`: the ticket moves
    to that address's profile, found or made; a name left out is the profile's).

    Nothing is written if the status change is illegal: the check runs first. A new category
    does not move the ticket to that category's team: routing happens once, on creation, and
    a team chosen since is the agents' decision. A new team keeps the assignee only if they
    are one of its members; otherwise the ticket goes back to the team's queue, unassigned
    (as Zendesk does when a ticket changes group). No team keeps the assignee.
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("category", "sla_policy").get(pk=ticket.pk)
    if "status" in changes and changes["status"] != ticket.status:
        check_transition(ticket.status, changes["status"])
    if ticket.status == Status.CLOSED:
        raise TicketClosed(_("Ticket %(number)s is closed; it can no longer be changed.") % {"number": ticket.number})
    moving = None
    if "customer_email" in changes:
        customer, email, name = _customer_of(changes.pop("customer_email"), changes.pop("customer_name", None))
        changes["customer"] = customer  # compared by _picks_another_policy
        moving = {"customer": customer, "email": email, "name": name}
    changes.pop("customer_name", None)  # only with an address
    # A resolved ticket's results are settled; changing its priority does not rewrite them.
    policy_relevant = ticket.status != Status.RESOLVED and _picks_another_policy(ticket, changes)
    text_changed = False
    told: list[str] = []  # what the followers are told of, once the change is made
    for field, kind in (("subject", EventKind.SUBJECT), ("priority", EventKind.PRIORITY)):
        if field in changes and changes[field] != getattr(ticket, field):
            if field == "priority":
                told.append("priority")
            record_event(ticket=ticket, kind=kind, actor=actor, old=getattr(ticket, field), new=changes[field])
            setattr(ticket, field, changes[field])
            text_changed |= field == "subject"
    if "external_customer_id" in changes:
        ticket.external_customer_id = changes["external_customer_id"]
    if "category" in changes and changes["category"].pk != ticket.category_id:
        record_event(
            ticket=ticket,
            kind=EventKind.CATEGORY,
            actor=actor,
            old=ticket.category.slug,
            new=changes["category"].slug,
        )
        ticket.category = changes["category"]
    team_changed = "team" in changes and _team_id(changes["team"]) != ticket.team_id
    if team_changed:
        new_team = changes["team"]
        record_event(
            ticket=ticket,
            kind=EventKind.TEAM,
            actor=actor,
            old=ticket.team.name if ticket.team_id else "",
            new=new_team.name if new_team is not None else "",
        )
        ticket.team = new_team
        told.append("team")
    if moving is not None:
        old_address = ticket.customer_email
        _move_to_customer(ticket=ticket, actor=actor, **moving)
        if ticket.customer_email != normalize_email(old_address):
            told.append("customer")
    ticket.save()
    if (
        team_changed
        and ticket.team is not None
        and ticket.assigned_agent_id is not None
        and not ticket.team.members.filter(pk=ticket.assigned_agent_id).exists()
    ):
        ticket_unassign(ticket=ticket, actor=actor)
    if policy_relevant:
        apply_sla(ticket=ticket, actor=actor)
    if "tags" in changes:
        old = sorted(ticket.tags.values_list("name", flat=True))
        tags = tags_from_names(changes["tags"])
        if [tag.name for tag in tags] != old:
            ticket.tags.set(tags)
            record_event(
                ticket=ticket,
                kind=EventKind.TAGS,
                actor=actor,
                old=", ".join(old),
                new=", ".join(t.name for t in tags),
            )
    if "status" in changes and changes["status"] != ticket.status:
        _apply_status(ticket=ticket, target=changes["status"], actor=actor)
        told.append("status")
    if text_changed:
        refresh_search_vector([ticket.pk])
    for change in told:
        notify_followers(ticket=ticket, actor=actor, change=change)
    return ticket


def _team_id(team: Team | None) -> int | None:
    return team.pk if team is not None else None


@reported
def ticket_rotate_link(*, ticket: Ticket, actor: Actor) -> Ticket:
    """Replace the ticket's private link: every link sent before answers 404 from now on
    (tickets.links signs the access key), and the customer is emailed the new one."""
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    ticket.access_key = new_access_key()
    ticket.save(update_fields=["access_key", "updated_at"])
    record_event(ticket=ticket, kind=EventKind.LINK_ROTATED, actor=actor, new="(the customer was emailed the new one)")
    notify_customer_of_new_link(ticket)
    return ticket


# --- Conversation ---------------------------------------------------------------------


_SOURCES = {
    "agent": Source.AGENT,
    "integration": Source.API,
    "customer": Source.PORTAL,
    "system": Source.SYSTEM,
    "trigger": Source.SYSTEM,
    "rule": Source.SYSTEM,
}
# Actors that are the desk's own automation (automation.triggers, automation.timerules): they
# write internal notes as the system does.
AUTOMATIC_ACTORS = ("trigger", "rule")


@dataclass(frozen=True)
class EmailEnvelope:
    """What an email said of itself, kept with the message it became (mail.ingest)."""

    message_id: str
    from_address: str
    to: str = ""
    cc: str = ""
    date: datetime | None = None
    html: str = ""


@reported
def message_create(
    *,
    ticket: Ticket,
    body: str,
    actor: Actor,
    internal: bool = False,
    attachments: Sequence[UploadedFile] = (),
    email: EmailEnvelope | None = None,
    cc: TicketCC | None = None,
) -> Message:
    """Add a reply or an internal note, with what it implies for the ticket.

    - A public agent reply: sets first_responded_at once, moves a new ticket to open, and
      is emailed to the customer.
    - A customer reply: reopens a pending or resolved ticket and tells the assigned agent.
    - An internal note: stays between agents; nobody outside is told. The system writes
      one for mail about a ticket from someone other than its customer (`email` given).
    Integrations write on the customer's behalf. A message that came by `email` keeps its
    envelope, and its Message-ID joins the ticket's thread (tickets.threading). A customer-
    side message by an address copied on the ticket (`cc`, through its link or by email) is
    theirs: their name and address (Message.author_email), not the customer's.
    Followers are told of each (tickets.following), and agents @named in a note.
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("assigned_agent__user").get(pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        raise TicketClosed(
            _("Ticket %(number)s is closed; a new request needs a new ticket.") % {"number": ticket.number}
        )
    from_agent = actor.is_agent
    automatic = actor.type in AUTOMATIC_ACTORS
    if internal and not (from_agent or automatic or (actor.type == "system" and email is not None)):
        raise PermissionError(_("Only agents can write internal notes."))
    if from_agent:
        author_type, author_name = AuthorType.AGENT, actor.name
    elif actor.type == "system" or automatic:
        author_type, author_name = AuthorType.SYSTEM, actor.name
    elif cc is not None:
        author_type, author_name = AuthorType.CUSTOMER, actor.name or cc.email
    else:
        author_type, author_name = AuthorType.CUSTOMER, ticket.customer_name or ticket.customer_email
    envelope = {}
    if email is not None:
        envelope = {
            "email_from": email.from_address[:320],
            "email_to": email.to,
            "email_cc": email.cc,
            "email_date": email.date,
            "body_html": email.html,
        }
    message = Message.objects.create(
        ticket=ticket,
        author_type=author_type,
        author_agent=actor.agent,
        author_name=author_name[:255],
        author_email=cc.email if cc is not None and author_type == AuthorType.CUSTOMER else "",
        body=body,
        internal=internal,
        source=Source.EMAIL if email is not None else _SOURCES.get(actor.type, Source.API),
        **envelope,
    )
    if email is not None:
        record_thread_ids(ticket_id=ticket.pk, message_ids=[email.message_id], outgoing=False, message=message)
    # The message as read with its conversation (Message.attachment_files), for the answer.
    message.attachment_list = attachments_save(ticket=ticket, message=message, files=attachments) if attachments else []

    if internal:
        record_event(ticket=ticket, kind=EventKind.NOTE, actor=actor, new=f"message {message.pk}")
        mentioned = notify_mentions(ticket=ticket, message=message, actor=actor) if from_agent else []
        notify_followers(
            ticket=ticket, actor=actor, change="note", message=message, exclude={agent.pk for agent in mentioned}
        )
        return message

    if from_agent:
        record_event(ticket=ticket, kind=EventKind.REPLY, actor=actor, new=f"message {message.pk}")
        # The time rules' clock (Ticket.agent_message_at), written by the first save below.
        ticket.agent_message_at = message.created_at
        clock = ["agent_message_at"]
        if ticket.first_responded_at is None:
            ticket.first_responded_at = message.created_at
            fields = ["first_responded_at", "updated_at", *clock]
            fields += lifecycle.fields_changed(lifecycle.FIRST_RESPONSE, ticket=ticket, at=message.created_at)
            ticket.save(update_fields=fields)
            clock = []
            lifecycle.announce(lifecycle.FIRST_RESPONDED, ticket=ticket, at=message.created_at)
            record_event(ticket=ticket, kind=EventKind.FIRST_RESPONSE, actor=actor, new=message.created_at.isoformat())
        if ticket.status == Status.NEW:
            _apply_status(ticket=ticket, target=Status.OPEN, actor=actor, also=clock)
        elif clock:
            ticket.save(update_fields=[*clock, "updated_at"])  # a public reply changes the ticket
        notify_customer_of_reply(ticket, message)
        notify_followers(ticket=ticket, actor=actor, change="reply", message=message)
    elif author_type == AuthorType.CUSTOMER:
        record_event(ticket=ticket, kind=EventKind.CUSTOMER_REPLY, actor=actor, new=f"message {message.pk}")
        # The time rules' clock (Ticket.customer_message_at), in the status change's save if any.
        ticket.customer_message_at = message.created_at
        if ticket.status in (Status.PENDING, Status.RESOLVED):
            _apply_status(ticket=ticket, target=Status.OPEN, actor=actor, also=["customer_message_at"])
        else:
            ticket.save(update_fields=["customer_message_at", "updated_at"])
        notify_agent_of_customer_reply(ticket, message)
        notify_followers(
            ticket=ticket,
            actor=actor,
            change="customer_reply",
            message=message,
            exclude={ticket.assigned_agent_id} if ticket.assigned_agent_id else (),
        )
    refresh_search_vector([ticket.pk])
    return message


@reported
def message_rate(*, message: Message, rating: int, comment: str, actor: Actor) -> Message:
    """The customer's rating of one public agent reply, 1-5, given once."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.author_type != AuthorType.AGENT or message.internal:
        raise RatingRefused(_("Only a public reply from an agent can be rated."))
    if message.rating is not None:
        raise RatingRefused(_("This reply has been rated already."))
    message.rating = rating
    message.rating_comment = comment
    message.rated_at = timezone.now()
    message.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    record_event(ticket=message.ticket, kind=EventKind.RATING, actor=actor, new=f"{rating} for message {message.pk}")
    return message
