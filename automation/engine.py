"""Checking conditions against a ticket, and carrying out actions on it.

Shared by triggers (automation.triggers), time rules (automation.timerules) and macros
(automation.macros). Conditions are checked in Python against the ticket the service left
in memory and what changed (`Facts`); what a condition needs beyond the ticket's own
columns (its tags, its customer's organisation, the team calendar) is read once, on first
use, so a trigger whose first condition fails costs no query.

Actions run through the services of tickets, as the acting `actor` (a trigger, a rule, an
agent applying a macro): the history says who, the state machine and the SLA hooks apply,
and every email, notice or webhook call is an outbox row written in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, Team
from agents.roles import Actor
from automation.models import ActionKind, Field, Group
from automation.models import Operator as Op
from automation.placeholders import render
from automation.vocabulary import YES, tag_names
from notifications.models import Channel
from notifications.services import email_enqueue, notification_enqueue
from sla.models import BusinessCalendar
from tickets.assignment import ticket_assign
from tickets.models import Category, Message, Ticket, TicketEvent
from tickets.models import EventKind as Kind
from tickets.notices import agent_ticket_url
from tickets.services import message_create, ticket_update
from tickets.state_machine import TRANSITIONS
from tickets.threading import ticket_email
from tickets.visibility import agents_who_may_see

logger = logging.getLogger(__name__)

# The history's kinds whose values a "changed" condition compares, by condition field.
CHANGE_KINDS = {
    Kind.STATUS: Field.STATUS,
    Kind.PRIORITY: Field.PRIORITY,
    Kind.CATEGORY: Field.CATEGORY,
    Kind.TEAM: Field.TEAM,
    Kind.ASSIGNEE: Field.ASSIGNEE,
}


@dataclass(frozen=True)
class Part:
    """A condition or action as the engine reads it (no model instance: kept per process)."""

    group: str = Group.ALL
    field: str = ""
    operator: str = ""
    value: str = ""
    kind: str = ""
    subject: str = ""
    body: str = ""


@dataclass
class Facts:
    """A ticket at the moment its conditions are checked, with what just changed."""

    ticket: Ticket
    event: str = ""
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    message: Message | None = None
    now: datetime = field(default_factory=timezone.now)
    _read: dict[str, Any] = field(default_factory=dict, repr=False)

    def read(self, name: str, reader: Callable[[], Any]) -> Any:
        if name not in self._read:
            self._read[name] = reader()
        return self._read[name]

    @classmethod
    def of_events(cls, ticket: Ticket, event: str, events: Sequence[TicketEvent], message: Message | None) -> Facts:
        changes = {CHANGE_KINDS[e.kind]: (e.old_value, e.new_value) for e in events if e.kind in CHANGE_KINDS}
        return cls(ticket=ticket, event=event, changes=changes, message=message)

    # What conditions read beyond the ticket's columns.
    def tags(self) -> set[str]:
        return self.read("tags", lambda: set(self.ticket.tag_names()))

    def category_slug(self) -> str:
        return self.read(
            "category", lambda: Category.objects.values_list("slug", flat=True).get(pk=self.ticket.category_id)
        )

    def team_name(self) -> str:
        if self.ticket.team_id is None:
            return ""
        return self.read("team", lambda: Team.objects.values_list("name", flat=True).get(pk=self.ticket.team_id))

    def organization_name(self) -> str:
        def organization() -> str:
            if self.ticket.customer_id is None:
                return ""
            name = (
                Ticket.objects.filter(pk=self.ticket.pk).values_list("customer__organization__name", flat=True).first()
            )
            return name or ""

        return self.read("organization", organization)

    def assignee_username(self) -> str:
        if self.ticket.assigned_agent_id is None:
            return ""
        return self.read(
            "assignee",
            lambda: Agent.objects.values_list("user__username", flat=True).get(pk=self.ticket.assigned_agent_id),
        )

    def body(self) -> str:
        return self.message.body if self.message is not None else self.ticket.description

    def working(self) -> bool:
        """Whether `now` is within the ticket's business hours: its team's calendar, else
        its SLA policy's; a ticket with neither is always within them (24/7)."""

        def now_working() -> bool:
            ticket = self.ticket
            calendar = None
            if ticket.team_id is not None:
                calendar = BusinessCalendar.objects.filter(teams__pk=ticket.team_id).first()
            if calendar is None and ticket.sla_policy_id is not None:
                calendar = BusinessCalendar.objects.filter(policies__pk=ticket.sla_policy_id).first()
            return True if calendar is None else calendar.schedule().is_working(self.now)

        return self.read("working", now_working)


def _current(facts: Facts, name: str) -> str:
    ticket = facts.ticket
    if name == Field.STATUS:
        return ticket.status
    if name == Field.PRIORITY:
        return ticket.priority
    if name == Field.CHANNEL:
        return ticket.channel
    if name == Field.CATEGORY:
        return facts.category_slug()
    if name == Field.TEAM:
        return facts.team_name()
    if name == Field.ORGANIZATION:
        return facts.organization_name()
    if name == Field.ASSIGNEE:
        return facts.assignee_username()
    if name == Field.CUSTOMER_EMAIL:
        return ticket.customer_email
    if name == Field.CUSTOMER_DOMAIN:
        return ticket.customer_email.rpartition("@")[2]
    if name == Field.SUBJECT:
        return ticket.subject
    if name == Field.BODY:
        return facts.body()
    return ""


def _holds(part: Part, facts: Facts) -> bool:
    operator, wanted = part.operator, part.value.strip()
    name = part.field
    if operator in (Op.CHANGED, Op.CHANGED_FROM, Op.CHANGED_TO):
        change = facts.changes.get(name)
        if change is None:
            return False
        if operator == Op.CHANGED:
            return True
        side = change[0] if operator == Op.CHANGED_FROM else change[1]
        return side.casefold() == wanted.casefold()
    if name == Field.TAGS:
        names = set(tag_names(wanted))
        present = facts.tags()
        return names <= present if operator == Op.INCLUDES else not (names & present)
    if name == Field.BUSINESS_HOURS:
        return facts.working() == (wanted == YES)
    current = _current(facts, name)
    if operator == Op.IS_SET:
        return bool(current)
    if operator == Op.NOT_SET:
        return not current
    if operator == Op.IS:
        return current.casefold() == wanted.casefold()
    if operator == Op.IS_NOT:
        return current.casefold() != wanted.casefold()
    if operator == Op.CONTAINS:
        return wanted.casefold() in current.casefold()
    if operator == Op.NOT_CONTAINS:
        return wanted.casefold() not in current.casefold()
    if operator == Op.ENDS_WITH:
        return current.casefold().endswith(wanted.casefold())
    return False


def conditions_hold(conditions: Iterable[Part], facts: Facts) -> bool:
    """Every "all" condition holds, and one "any" condition at least if there are any."""
    any_parts = []
    for part in conditions:
        if part.group == Group.ANY:
            any_parts.append(part)
        elif not _holds(part, facts):
            return False
    return not any_parts or any(_holds(part, facts) for part in any_parts)


# --- actions ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What applying actions did, in words for the history and the macro preview."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _recipients(ticket: Ticket, who: str) -> list[Agent]:
    """The agents `who` names ("assignee", "team", "followers" or a username) who may see the
    ticket: a restricted team's ticket is never announced to anyone else."""
    agents = Agent.objects.select_related("user")
    if who == "assignee":
        agents = agents.filter(pk=ticket.assigned_agent_id)
    elif who == "team":
        agents = agents.filter(teams__pk=ticket.team_id)
    elif who == "followers":
        agents = agents.filter(followed_tickets__pk=ticket.pk)
    else:
        agents = agents.filter(user__username__iexact=who)
    if (
        who in ("assignee", "team")
        and getattr(ticket, f"{'assigned_agent' if who == 'assignee' else 'team'}_id") is None
    ):
        return []
    return list(agents_who_may_see(agents, ticket.team_id).order_by("pk"))


def field_changes(actions: Iterable[Part], ticket: Ticket) -> dict[str, Any]:
    """The ticket_update changes of set_* and tag actions (the last one of a kind wins)."""
    changes: dict[str, Any] = {}
    tags: list[str] | None = None
    for part in actions:
        value = part.value.strip()
        if part.kind == ActionKind.SET_STATUS:
            changes["status"] = value
        elif part.kind == ActionKind.SET_PRIORITY:
            changes["priority"] = value
        elif part.kind == ActionKind.SET_CATEGORY:
            category = Category.objects.filter(slug=value).first()
            if category is not None:
                changes["category"] = category
        elif part.kind == ActionKind.SET_TEAM:
            changes["team"] = Team.objects.filter(name__iexact=value).first() if value else None
        elif part.kind in (ActionKind.ADD_TAGS, ActionKind.REMOVE_TAGS):
            if tags is None:
                tags = ticket.tag_names()
            names = tag_names(value)
            if part.kind == ActionKind.ADD_TAGS:
                tags = tags + [name for name in names if name not in tags]
            else:
                tags = [name for name in tags if name not in names]
    if tags is not None:
        changes["tags"] = tags
    return changes


def apply_actions(
    *,
    ticket: Ticket,
    actions: Sequence[Part],
    actor: Actor,
    facts: Facts | None = None,
    agent_name: str | None = None,
    webhook_call: Callable[[Ticket, int, Actor], None] | None = None,
) -> Outcome:
    """Carry out `actions` on `ticket` as `actor`, in the caller's transaction.

    Field changes go through one ticket_update (one history line each, one announcement);
    a status the state machine refuses from where the ticket is is skipped and said so;
    then the assignee, notes, emails, notices and webhook calls, in the actions' order."""
    outcome = Outcome()
    changes = field_changes(actions, ticket)
    if (
        "status" in changes
        and changes["status"] != ticket.status
        and changes["status"] not in TRANSITIONS[ticket.status]
    ):
        outcome.skipped.append(
            _("status %(current)s → %(target)s is not allowed")
            % {"current": ticket.status, "target": changes.pop("status")}
        )
    if ticket.status == Ticket.Status.CLOSED:
        if changes:
            outcome.skipped.append(_("the ticket is closed"))
        changes = {}
    if changes:
        ticket = ticket_update(ticket=ticket, actor=actor, **changes)
        outcome.done += sorted(changes)
    for part in actions:
        value = part.value.strip()
        kind = part.kind
        if kind == ActionKind.SET_ASSIGNEE:
            agent = Agent.objects.filter(user__username__iexact=value).first() if value else None
            if (agent.pk if agent else None) != ticket.assigned_agent_id:
                try:
                    ticket = ticket_assign(ticket=ticket, agent=agent, actor=actor, override=True)
                    outcome.done.append("assignee")
                except Exception as error:  # a refused assignment is reported, the rest goes on
                    outcome.skipped.append(str(error))
        elif kind == ActionKind.ADD_NOTE:
            if ticket.status == Ticket.Status.CLOSED:
                outcome.skipped.append(_("the ticket is closed"))
                continue
            body = render(part.body, ticket=ticket, agent_name=agent_name)[:10000]
            message_create(ticket=ticket, body=body, actor=actor, internal=True)
            outcome.done.append("note")
        elif kind in (
            ActionKind.EMAIL_CUSTOMER,
            ActionKind.EMAIL_ASSIGNEE,
            ActionKind.EMAIL_TEAM,
            ActionKind.EMAIL_ADDRESS,
        ):
            _email(ticket=ticket, part=part, agent_name=agent_name)
            outcome.done.append(kind)
        elif kind == ActionKind.NOTIFY:
            _notify(ticket=ticket, part=part, agent_name=agent_name, actor=actor)
            outcome.done.append("notify")
        elif kind == ActionKind.CALL_WEBHOOK and webhook_call is not None and value.isdigit():
            webhook_call(ticket, int(value), actor)
            outcome.done.append("webhook")
    return outcome


def _email(*, ticket: Ticket, part: Part, agent_name: str | None) -> None:
    subject = render(part.subject, ticket=ticket, agent_name=agent_name)
    body = render(part.body, ticket=ticket, agent_name=agent_name)
    context = {"subject": subject, "body": body, "ticket": ticket}
    if part.kind == ActionKind.EMAIL_CUSTOMER:
        # Threaded like every email to the customer: their answer lands on the ticket.
        ticket_email(
            ticket=ticket,
            to=ticket.customer_email,
            kind="automation.email",
            template="automation/email/message",
            context=context,
            automatic=True,
        )
        return
    if part.kind == ActionKind.EMAIL_ADDRESS:
        email_enqueue(
            to=part.value.strip(), kind="automation.email", template="automation/email/message", context=context
        )
        return
    who = "assignee" if part.kind == ActionKind.EMAIL_ASSIGNEE else "team"
    for agent in _recipients(ticket, who):
        if agent.email:
            email_enqueue(
                to=agent.email,
                kind="automation.email",
                template="automation/email/message",
                context=context,
                user=agent.user,
                language=agent.language or None,
            )


def _notify(*, ticket: Ticket, part: Part, agent_name: str | None, actor: Actor) -> None:
    title = render(part.body, ticket=ticket, agent_name=agent_name)[:500]
    for agent in _recipients(ticket, part.value.strip()):
        notification_enqueue(
            channel=Channel.DASHBOARD,
            recipient=agent.user.get_username(),
            user=agent.user,
            kind="automation.notice",
            payload={"title": title, "ticket_id": ticket.pk, "url": agent_ticket_url(ticket), "by": actor.name},
        )
