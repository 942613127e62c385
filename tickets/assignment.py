"""Giving tickets to agents, manually or automatically, never past an agent's capacity.

Capacity is checked under a row lock on the agent (SELECT ... FOR UPDATE): two
assignments to the same agent run one after the other, and the second counts the first's
ticket.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from agents.models import MAX_TICKETS, Agent, AgentStatus, Team
from agents.roles import Actor
from core.refusals import Refusal
from tickets.following import notify_followers
from tickets.history import record_event, reported
from tickets.models import ACTIVE_STATUSES, EventKind, Status, Ticket
from tickets.notices import notify_assignment
from tickets.queries import count_up_to
from tickets.visibility import agent_may_see


class AssignmentError(Refusal):
    """The assignment was refused; the message says why in words an agent understands."""


class NotATeamMember(AssignmentError):
    """A restricted team's ticket offered to an agent outside the team, who could not even
    open it: bad input (400) naming the field that chose the agent."""

    status_code = 400

    def __init__(self, agent: Agent, field: str = "agent") -> None:
        self.field = field
        super().__init__(
            gettext("%(agent)s is not a member of this ticket's restricted team, so cannot be given it.")
            % {"agent": agent.name}
        )

    def payload(self) -> dict:
        return {self.field: [str(self)]}


# Why a ticket outside ACTIVE_STATUSES cannot be given to anyone, by its status.
NOT_ASSIGNABLE = {
    Status.RESOLVED: gettext_lazy("A resolved ticket cannot be assigned; reopen it first."),
    Status.CLOSED: gettext_lazy("A closed ticket cannot be assigned; reopen it first."),
}


def open_tickets(agent: Agent | OuterRef) -> QuerySet[Ticket]:
    """An agent's open (capacity-counting) tickets: the one definition of an agent's load.

    Every count of load reads it: open_load() for a list of agents, .count() for one
    agent under its lock (ticket_assign, ticket_auto_assign, keep_within_capacity).
    """
    return Ticket.objects.filter(assigned_agent=agent, status__in=ACTIVE_STATUSES).order_by()


def open_load(*, up_to: int | None = None) -> Subquery:
    """An agent's open tickets (open_tickets) as an annotation of Agent rows.

    A correlated count over the (assigned_agent, status) index: only the agent's open
    tickets are read, not the thousands of closed ones a join would aggregate. With
    `up_to` the count stops there: enough to tell whether an agent with max_tickets <=
    up_to has room, and exact for every agent who has, while reading at most `up_to`
    index entries per agent (a busy team's agents can each hold hundreds of open tickets).
    """
    return count_up_to(open_tickets(OuterRef("pk")).values("pk"), up_to)


def team_is_working(team: Team | None, now: datetime) -> bool:
    """Whether `team` works at `now`: inside its calendar's hours (the SLA business calendar,
    reached through the relation: tickets does not import sla), or always without one."""
    if team is None or team.calendar_id is None:
        return True
    return team.calendar.schedule().is_working(now)


def candidate_agents(*, ticket: Ticket, now: datetime) -> list[Agent]:
    """Agents who may take the ticket now, least loaded first, then longest waiting.

    Steps:
    1. A ticket of a team with business hours waits outside them: nobody.
    2. In SQL: available, specialised in the ticket's category, a member of the ticket's
       team (when it has one: so a restricted team's ticket only to those who may see it,
       tickets.visibility), under capacity; ordered by open tickets, then by last
       assignment (never assigned first), then id.
    3. In Python: inside working hours in the agent's own timezone (weekly hours are JSON
       in each agent's zone, so this part is not a WHERE clause; the list is short).
    """
    team = ticket.team if ticket.team_id is not None else None
    if not team_is_working(team, now):
        return []
    agents = Agent.objects.filter(status=AgentStatus.AVAILABLE, specializations=ticket.category_id)
    if team is not None:
        agents = agents.filter(teams=team)
    agents = (
        agents.annotate(load=open_load(up_to=MAX_TICKETS))  # every max_tickets is at most this
        .filter(load__lt=F("max_tickets"))
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "id")
    )
    return [agent for agent in agents if agent.is_working_at(now)]


def _set_assignee(*, ticket: Ticket, agent: Agent | None, actor: Actor, now: datetime) -> None:
    previous = ticket.assigned_agent
    ticket.assigned_agent = agent
    ticket.save(update_fields=["assigned_agent", "updated_at"])
    if agent is not None:
        Agent.objects.filter(pk=agent.pk).update(last_assigned_at=now)
    record_event(
        ticket=ticket,
        kind=EventKind.ASSIGNEE,
        actor=actor,
        old=previous.name if previous else "",
        new=agent.name if agent else "",
    )
    if agent is not None and (actor.agent is None or actor.agent.pk != agent.pk):
        notify_assignment(ticket=ticket, agent=agent, actor=actor)
    # The new assignee is told by notify_assignment (or made the change), not as a follower.
    notify_followers(ticket=ticket, actor=actor, change="assignee", exclude={agent.pk} if agent else ())


@reported
def ticket_assign(*, ticket: Ticket, agent: Agent | None, actor: Actor, override: bool = False) -> Ticket:
    """Assign to `agent` (None: unassign). Capacity holds unless a supervisor overrides."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    if agent is None:
        if ticket.assigned_agent_id is not None:
            _set_assignee(ticket=ticket, agent=None, actor=actor, now=now)
        return ticket
    if ticket.assigned_agent_id == agent.pk:
        return ticket
    if ticket.status not in ACTIVE_STATUSES:
        raise AssignmentError(str(NOT_ASSIGNABLE[ticket.status]))
    if not agent_may_see(agent, ticket.team_id):
        raise NotATeamMember(agent)
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if not override:
        load = open_tickets(agent).count()
        if load >= agent.max_tickets:
            message = ngettext(
                # Translators: an agent is full; "load" (at least "capacity") is how many open tickets the agent
                # has. The English is the same for one and for many.
                "%(agent)s already has %(load)d open tickets of %(capacity)d; "
                "a supervisor may assign anyway with override.",
                "%(agent)s already has %(load)d open tickets of %(capacity)d; "
                "a supervisor may assign anyway with override.",
                load,
            )
            raise AssignmentError(message % {"agent": agent.name, "load": load, "capacity": agent.max_tickets})
    _set_assignee(ticket=ticket, agent=agent, actor=actor, now=now)
    return ticket


@reported
def ticket_auto_assign(*, ticket: Ticket, actor: Actor) -> Agent | None:
    """Give the ticket to the best candidate; None when nobody can take it now.

    Each candidate is locked and its load counted again under the lock: between the
    candidate query and the lock another transaction may have filled the last slot, in
    which case the next candidate is tried. The lock of a full candidate is taken inside a
    savepoint and released by rolling it back, so a transaction holds at most one agent
    lock at a time and two assignments cannot deadlock on each other's agents.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assigned_agent_id is not None or ticket.status not in ACTIVE_STATUSES:
        return ticket.assigned_agent
    now = timezone.now()
    for candidate in candidate_agents(ticket=ticket, now=now):
        try:
            with transaction.atomic():
                agent = Agent.objects.select_for_update().get(pk=candidate.pk)
                if agent.status != AgentStatus.AVAILABLE or open_tickets(agent).count() >= agent.max_tickets:
                    raise _AgentFull
                _set_assignee(ticket=ticket, agent=agent, actor=actor, now=now)
                return agent
        except _AgentFull:
            continue
    return None


class _AgentFull(Exception):
    pass


def ticket_unassign(*, ticket: Ticket, actor: Actor) -> None:
    """Back to the queue, unassigned, in the caller's transaction (the ticket locked by it)."""
    if ticket.assigned_agent_id is not None:
        _set_assignee(ticket=ticket, agent=None, actor=actor, now=timezone.now())


def keep_within_capacity(*, ticket: Ticket, actor: Actor) -> None:
    """A reopened ticket counts against its agent again; if that agent is full, it goes back
    to the queue (unassigned) rather than pushing them past their maximum."""
    if ticket.assigned_agent_id is None:
        return
    agent = Agent.objects.select_for_update().get(pk=ticket.assigned_agent_id)
    others = open_tickets(agent).exclude(pk=ticket.pk).count()
    if others >= agent.max_tickets:
        _set_assignee(ticket=ticket, agent=None, actor=actor, now=timezone.now())
