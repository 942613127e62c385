"""Reads shared by the API and the pages, with their joins, and the one access check."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from agents.roles import agent_for, is_agent, is_integration
from tickets import queries
from tickets.filters import priority_rank
from tickets.models import ACTIVE_STATUSES, Message, Ticket, TicketEvent
from tickets.search import search_tickets
from tickets.visibility import hidden_team_ids, may_see_team, of_visible_tickets


def can_read_internal_notes(user) -> bool:
    return is_agent(user)


def visible_messages(user) -> QuerySet[Message]:
    messages = Message.objects.select_related("author_agent").prefetch_related("attachments")
    if not can_read_internal_notes(user):
        messages = messages.filter(internal=False)
    return messages


def message_feed_for_user(user) -> QuerySet[Message]:
    """Messages of every ticket `user` may see (`tickets_for_user`'s rule), as `visible_messages`
    shows them: internal notes for agents only. Oldest first (page mode); the API's cursor
    mode orders by (updated_at, id)."""
    if not works_tickets(user):
        return Message.objects.none()
    return of_visible_tickets(visible_messages(user), user).order_by("created_at", "id")


def works_tickets(user) -> bool:
    """Agents and integrations work every ticket; nobody else works any."""
    return is_agent(user) or is_integration(user)


def may_see(user, ticket: Ticket) -> bool:
    """Whether `user` may see `ticket`: asked before telling someone of it (a follower's
    notice, an @mention). The rule of `tickets_for_user`: agents and integrations, but not a
    restricted team's ticket unless a member, a supervisor or an admin (tickets.visibility)."""
    return works_tickets(user) and may_see_team(user, ticket.team_id)


def tickets_for_user(user) -> QuerySet[Ticket]:
    """Tickets `user` may work: for agents and integrations all but those of the restricted
    teams hidden from them (tickets.visibility), none for anyone else."""
    # The search vector is for the database's eyes only: never read it into Python.
    # A page's tags and own attachments: queries.read_lists, once the page is read.
    return _visible(user, Ticket.objects.defer("search_vector").select_related("category", "assigned_agent", "team"))


def _visible(user, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`tickets_for_user`'s rule on `tickets`."""
    if not works_tickets(user):
        return Ticket.objects.none()
    hidden = hidden_team_ids(user)
    # Only when there is something to hide: the list's plan is untouched for everyone else.
    return tickets.exclude(team_id__in=sorted(hidden)) if hidden else tickets


# What a list shows of each ticket (tickets.serializers.TicketSerializer): a list reads these
# columns only, and of the category and the assignee only the slug and the name. Half the
# columns are half the ORM's work compiling the page's query and building its rows.
LIST_FIELDS = (
    "id",
    "subject",
    "description",
    "customer_email",
    "customer_name",
    "external_customer_id",
    "customer__organization",
    "category__slug",
    "team__name",
    "priority",
    "channel",
    "language",
    "assigned_agent__name",
    "status",
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
)


def ticket_list_for_user(user) -> QuerySet[Ticket]:
    """`tickets_for_user`, reading what a list shows (LIST_FIELDS)."""
    # The customer's organisation by a LEFT JOIN on the profile's primary key: a page's 25
    # probes, not another statement.
    return tickets_for_user(user).select_related("customer").only(*LIST_FIELDS)


def read_lists(tickets: list[Ticket]) -> list[Ticket]:
    """`tickets` (a page), each with its tags and own attachments read for Ticket.tag_names
    and Ticket.own_attachments: one statement each for the whole page."""
    if tickets:
        queries.read_lists(tickets, connection.alias)
    return tickets


def get_ticket_for_user(user, pk: int | str, *, prefetch: bool = True, conversation: bool = False) -> Ticket:
    """One ticket `user` may work, with its category and assignee, or 404: what
    `tickets_for_user(user).get(pk=pk)` reads, in one plain statement written once per
    process (the ORM compiled it on every request: 0.65 ms of CPU, for the most frequent
    request there is). With `prefetch`, also its tags and own attachments (without, for a
    change whose answer is read again afterwards); with `conversation`, also its messages
    as `user` may read them (`visible_messages`' rule), for Ticket.conversation."""
    ticket = _one_ticket(user, pk, _ticket_statement())
    if prefetch:
        queries.read_lists([ticket], connection.alias)
    if conversation:
        queries.read_messages([ticket], connection.alias, internal=can_read_internal_notes(user))
    return ticket


def changed_ticket_for_user(user, pk: int | str) -> Ticket:
    """The ticket `user` has just changed, read as `get_ticket_for_user(conversation=True)`
    reads it, even when the change moved it to a restricted team hidden from them: the answer
    to their change is the ticket as changed (they could see it when they changed it), though
    it is hidden from them from now on."""
    ticket = queries.ticket_row(_ticket_statement(), _ticket_id(pk))
    if ticket is None:
        raise Http404(_("No such ticket."))
    queries.read_lists([ticket], connection.alias)
    queries.read_messages([ticket], connection.alias, internal=can_read_internal_notes(user))
    return ticket


SLA_STATE_COLUMNS = (
    "id",
    "team_id",  # for the access rule (_one_ticket)
    "status",
    "sla_policy_id",
    "first_responded_at",
    "first_response_due_at",
    "first_response_at_risk_at",
    "resolution_due_at",
    "resolution_at_risk_at",
)


def get_ticket_sla_state_for_user(user, pk: int | str) -> Ticket:
    """The ticket's SLA clock and policy name only, under the same access rule: one plain
    statement (the ORM compiled this join on every SLA check, 1 ms of its CPU)."""
    return _one_ticket(user, pk, _sla_state_statement())


@cache
def _ticket_statement() -> tuple[str, list, list]:
    """The ticket (all but its search vector, which is for the database's eyes only), its
    category, its assignee, its team's name and its customer's organisation."""
    fields = [field for field in Ticket._meta.concrete_fields if field.attname != "search_vector"]
    return queries.ticket_by_id(
        fields,
        {
            "category": None,
            "assigned_agent": None,
            "team": ("id", "name"),
            "customer": ("id", "organization_id"),
        },
    )


@cache
def _sla_state_statement() -> tuple[str, list, list]:
    fields = [field for field in Ticket._meta.concrete_fields if field.attname in SLA_STATE_COLUMNS]
    return queries.ticket_by_id(fields, {"sla_policy": ("id", "name")})


def _one_ticket(user, pk: int | str, statement: tuple[str, list, list]) -> Ticket:
    """Ticket `pk` as `statement` (from queries.ticket_by_id) reads it, its related rows
    cached on it; 404 unless `user` works tickets, the ticket exists and is not of a
    restricted team hidden from them (the same answer: its existence is not told)."""
    if not works_tickets(user):
        raise Http404(_("No such ticket."))
    ticket = queries.ticket_row(statement, _ticket_id(pk))
    if ticket is None or (ticket.team_id is not None and ticket.team_id in hidden_team_ids(user)):
        raise Http404(_("No such ticket."))
    return ticket


def _ticket_id(pk: int | str) -> int:
    """`pk` as a ticket id, or 404 (past a 64-bit id no ticket exists, and the driver cannot
    bind it as a bigint)."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        raise Http404(_("No such ticket.")) from None
    if not 0 < pk < 2**63:
        raise Http404(_("No such ticket."))
    return pk


def ticket_history(ticket: Ticket, user=None) -> QuerySet[TicketEvent]:
    """The audit trail; without the right to read notes, not even that a note was written."""
    events = ticket.events.all()
    if user is not None and not can_read_internal_notes(user):
        events = events.exclude(kind=TicketEvent.Kind.NOTE)
    return events


QUEUE_VIEWS = {
    # Translators: the views of the agents' ticket queue.
    "mine": gettext_lazy("My tickets"),
    "teams": gettext_lazy("My teams"),
    "unassigned": pgettext_lazy("ticket queue", "Unassigned"),
    "open": pgettext_lazy("ticket queue", "All open"),
    "sla": gettext_lazy("Breached / at risk"),
    "all": gettext_lazy("All tickets"),
}
QUEUE_SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "updated": ("-updated_at", "-id"),
    "due": (F("resolution_due_at").asc(nulls_last=True), "id"),
}


def default_queue_view(user) -> str:
    """The queue an agent opens on: their teams' tickets when they are in a team, else their
    own tickets; a signed-in superuser without a profile sees all open tickets."""
    agent = agent_for(user)
    if agent is None:
        return "open"
    return "teams" if agent.teams.exists() else "mine"


def tickets_for_queue(*, user, view: str, filters: dict, now=None):
    """The agent queue: one of QUEUE_VIEWS, narrowed by filters (`team`: an id, or "none"),
    in the chosen order. Each ticket carries `customer_vip`: whether its customer's
    organisation is a VIP one (two LEFT JOINs on primary keys, not a statement per row)."""
    tickets = tickets_for_user(user).annotate(customer_vip=Coalesce(F("customer__organization__vip"), False))
    tickets = _narrowed(tickets, user=user, view=view, filters=filters, now=now or timezone.now())
    query = (filters.get("q") or "").strip()
    if query.lstrip("#").isdigit() and len(query) <= 9:  # a ticket number
        return tickets.filter(pk=int(query.lstrip("#")))
    sort = filters.get("sort")
    if query:
        tickets = search_tickets(tickets, query, hidden=hidden_team_ids(user))
        if not sort:  # best match first unless the agent chose an order
            return tickets
    sort = sort or "newest"
    if sort == "priority":
        return tickets.annotate(priority_rank=priority_rank()).order_by("-priority_rank", "-created_at", "-id")
    return tickets.order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["newest"]))


def queue_tickets_to_count(*, user, view: str, filters: dict, now=None) -> QuerySet[Ticket]:
    """The tickets `tickets_for_queue` lists, unordered and without what the page shows of
    them (joins, annotations): what a count needs, compiled in half the time."""
    tickets = _narrowed(_visible(user, Ticket.objects.all()), user=user, view=view, filters=filters, now=now)
    query = (filters.get("q") or "").strip()
    if query.lstrip("#").isdigit() and len(query) <= 9:
        return tickets.filter(pk=int(query.lstrip("#")))
    if query:
        return search_tickets(tickets, query, hidden=hidden_team_ids(user)).order_by()
    return tickets


def _narrowed(tickets: QuerySet[Ticket], *, user, view: str, filters: dict, now=None) -> QuerySet[Ticket]:
    """`tickets` in queue view `view`, narrowed by the queue's filters (all but the search)."""
    now = now or timezone.now()
    if view == "mine":
        tickets = tickets.filter(assigned_agent=agent_for(user), status__in=ACTIVE_STATUSES)
    elif view == "teams":  # the queues of the teams the agent is a member of
        tickets = tickets.filter(team__members=agent_for(user), status__in=ACTIVE_STATUSES)
    elif view == "unassigned":
        tickets = tickets.filter(assigned_agent__isnull=True, status__in=ACTIVE_STATUSES)
    elif view == "sla":
        tickets = tickets.filter(status__in=("new", "open")).filter(
            Q(first_responded_at__isnull=True, first_response_at_risk_at__lte=now) | Q(resolution_at_risk_at__lte=now)
        )
    elif view != "all":
        tickets = tickets.filter(status__in=ACTIVE_STATUSES)
    for field in ("status", "priority"):
        if filters.get(field):
            tickets = tickets.filter(**{field: filters[field]})
    if filters.get("category"):
        tickets = tickets.filter(category__slug=filters["category"])
    if filters.get("assignee"):
        tickets = tickets.filter(assigned_agent_id=filters["assignee"])
    if filters.get("team") == "none":
        tickets = tickets.filter(team__isnull=True)
    elif filters.get("team"):
        tickets = tickets.filter(team_id=filters["team"])
    if filters.get("tag"):
        tickets = tickets.filter(tags__name=filters["tag"])
    return tickets
