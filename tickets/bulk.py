"""Changing many tickets at once (issue 24, point 1): the change one ticket of a bulk change
gets, through the same services a change of that one ticket would call.

`ticket_bulk_change` runs in its caller's transaction (workspace.bulk_jobs opens one per
ticket): a ticket the agent may not see, an illegal status move, a closed ticket or an
assignee at capacity raises the service's Refusal, and the caller rolls that ticket back and
lists it with the reason, while the others go on. The state machine, the history (with the
agent as actor), the followers' notices and the triggers apply to each ticket exactly as
for a single change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from agents.models import Agent, Team
from agents.roles import Actor
from core.refusals import Refusal
from tickets.assignment import ticket_assign
from tickets.models import ACTIVE_STATUSES, Category, Ticket
from tickets.selectors import may_see
from tickets.services import ticket_change_status, ticket_update

KEEP = ""  # a field left empty: not changed
NOBODY = "none"  # the team or the assignee taken away


class TicketHidden(Refusal):
    """The ticket is gone, or of a restricted team the agent is not in."""

    status_code = 404


class TargetGone(Refusal):
    """A category, team, agent or macro chosen for the change no longer exists."""


@dataclass(frozen=True)
class BulkChanges:
    """What a bulk change does to each ticket, as stored with the job (JSON): statuses,
    priorities and category slugs as the ticket has them, the team and the assignee by id
    or NOBODY, tags by name. KEEP leaves a field as it is."""

    status: str = KEEP
    priority: str = KEEP
    category: str = KEEP
    team: str = KEEP
    assignee: str = KEEP
    add_tags: tuple[str, ...] = field(default=())
    remove_tags: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["add_tags"], data["remove_tags"] = list(self.add_tags), list(self.remove_tags)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BulkChanges:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        for name in ("add_tags", "remove_tags"):
            known[name] = tuple(known.get(name, ()))
        return cls(**known)

    def is_empty(self) -> bool:
        return self == BulkChanges()


@dataclass(frozen=True)
class Targets:
    """The rows a bulk change names, read once for all its tickets."""

    category: Category | None = None
    team: Team | None = None
    assignee: Agent | None = None


def bulk_targets(changes: BulkChanges) -> Targets:
    """The category, team and agent `changes` names; TargetGone if one was deleted since."""
    category = team = assignee = None
    if changes.category:
        category = Category.objects.filter(slug=changes.category).first()
        if category is None:
            raise TargetGone(_("The category chosen no longer exists."))
    if changes.team not in (KEEP, NOBODY):
        team = Team.objects.filter(pk=int(changes.team)).first()
        if team is None:
            raise TargetGone(_("The team chosen no longer exists."))
    if changes.assignee not in (KEEP, NOBODY):
        assignee = Agent.objects.filter(pk=int(changes.assignee)).first()
        if assignee is None:
            raise TargetGone(_("The agent chosen no longer exists."))
    return Targets(category=category, team=team, assignee=assignee)


def _snapshot(ticket: Ticket) -> tuple:
    return (
        ticket.status,
        ticket.priority,
        ticket.category_id,
        ticket.team_id,
        ticket.assigned_agent_id,
        tuple(sorted(ticket.tags.values_list("name", flat=True))),
    )


def locked_visible_ticket(*, ticket_id: int, user) -> Ticket:
    """Ticket `ticket_id`, locked for the caller's transaction, if `user` may see it (the rule
    of tickets_for_user, asked again under the lock: it may have moved team since it was
    chosen); else TicketHidden, which says no more than a 404 would."""
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None or not may_see(user, ticket):
        raise TicketHidden(_("You cannot see this ticket (it was deleted, or is of a restricted team)."))
    return ticket


def ticket_bulk_change(*, ticket_id: int, changes: BulkChanges, targets: Targets, user, actor: Actor) -> bool:
    """Apply `changes` to one ticket in the caller's transaction; whether anything changed.

    1. Lock the ticket and check `user` may see it (TicketHidden).
    2. Priority, category, team and tags (the ticket's tags plus `add_tags`, less
       `remove_tags`) through tickets.services.ticket_update, with the status when it moves
       to an active one: the state machine refuses an illegal move, a closed ticket refuses
       any change.
    3. The assignee through tickets.assignment.ticket_assign (capacity, restricted teams).
    4. A move to an inactive status (resolved, closed) comes last, through
       ticket_change_status: a ticket is assigned while it is still open.
    """
    ticket = locked_visible_ticket(ticket_id=ticket_id, user=user)
    before = _snapshot(ticket)
    fields: dict[str, Any] = {}
    if changes.priority and changes.priority != ticket.priority:
        fields["priority"] = changes.priority
    if targets.category is not None and targets.category.pk != ticket.category_id:
        fields["category"] = targets.category
    if changes.team == NOBODY and ticket.team_id is not None:
        fields["team"] = None
    elif targets.team is not None and targets.team.pk != ticket.team_id:
        fields["team"] = targets.team
    if changes.add_tags or changes.remove_tags:
        tags = set(before[-1]) | set(changes.add_tags)
        tags -= set(changes.remove_tags)
        if tuple(sorted(tags)) != before[-1]:
            fields["tags"] = sorted(tags)
    status = changes.status if changes.status and changes.status != ticket.status else KEEP
    status_last = status and status not in ACTIVE_STATUSES
    if status and not status_last:
        fields["status"] = status
    if fields:
        ticket_update(ticket=ticket, actor=actor, **fields)
    if changes.assignee == NOBODY:
        ticket_assign(ticket=ticket, agent=None, actor=actor)
    elif targets.assignee is not None:
        ticket_assign(ticket=ticket, agent=targets.assignee, actor=actor)
    if status_last:
        ticket_change_status(ticket=ticket, status=status, actor=actor)
    ticket = Ticket.objects.get(pk=ticket.pk)
    return _snapshot(ticket) != before
