"""Macros: a reply and actions an agent applies to a ticket in one step (issue 23, point 3).

`macros_for` is what an agent is offered: the shared macros (no owner) for everyone, those
shared with a team the agent is a member of, and the agent's own; active ones only, the
ticket's category first. `macro_preview` says, without writing anything, what applying one
would do: the reply as the customer would read it, each change in words ("Status: Open →
Pending") and each action that would be refused, with the reason. `macro_apply` does it in
one transaction: a history line ("macro <name>"), the reply as the agent's own public reply,
then the actions through automation.engine as that agent. A failing action rolls the reply
back with it.

Who may apply what is the caller's question as much as this module's: `offered_macro`
answers 404 for a macro the agent is not offered, and the ticket is read through
tickets.selectors (404 for a ticket the agent may not see) before either is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from agents.models import Agent, Team
from agents.roles import Actor
from automation.engine import Part, apply_actions, field_changes
from automation.models import ActionKind, Macro
from automation.placeholders import render
from tickets.assignment import NOT_ASSIGNABLE, NotATeamMember
from tickets.history import record_event, reported
from tickets.models import ACTIVE_STATUSES, EventKind, Message, Priority, Status, Ticket
from tickets.services import TicketClosed, message_create
from tickets.state_machine import TRANSITIONS
from tickets.visibility import agent_may_see

NOTE_PREVIEW = 80  # characters of an internal note shown in a preview


def macros_for(agent: Agent | None, ticket: Ticket | None = None) -> QuerySet[Macro]:
    """The active macros `agent` may use: shared with everyone, shared with one of their
    teams, their own (None: someone without a profile, e.g. a superuser: the shared ones
    for everyone). With `ticket`, those of its category come first; then by name."""
    scope = Q(owner=None, team=None)
    if agent is not None:
        scope |= Q(owner=None, team__in=Team.objects.filter(members=agent).values("pk")) | Q(owner=agent)
    macros = Macro.objects.filter(scope, active=True).select_related("category", "team", "owner")
    if ticket is not None:
        first = Case(When(category_id=ticket.category_id, then=Value(0)), default=Value(1), output_field=IntegerField())
        return macros.annotate(category_first=first).order_by("category_first", "name", "id")
    return macros.order_by("name", "id")


def offered_macro(agent: Agent | None, pk: int | str, ticket: Ticket | None = None) -> Macro:
    """The macro `pk` if `agent` is offered it, else 404 (as if it did not exist)."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        raise Http404(_("No such macro."))
    macro = macros_for(agent, ticket).filter(pk=int(pk)).prefetch_related("actions").first()
    if macro is None:
        raise Http404(_("No such macro."))
    return macro


def macro_parts(macro: Macro) -> list[Part]:
    return [Part(kind=a.kind, value=a.value, subject=a.subject, body=a.body) for a in macro.actions.all()]


# --- preview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One thing applying a macro would do, in words. `key` is what automation.engine's
    Outcome.done names it by ("status", "tags", "assignee", "note", an email's kind...)."""

    key: str
    words: str
    refused: bool = False


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _nobody() -> str:
    return _("nobody")


def macro_plan(*, macro: Macro, ticket: Ticket, agent_name: str, reply: str) -> list[Change]:
    """What applying `macro` (with the reply `reply`) to `ticket` would change, in the
    order apply does it: the rules of automation.engine.apply_actions and of tickets'
    services, read, never written."""
    parts = macro_parts(macro)
    if ticket.status == Status.CLOSED:
        return [Change("closed", _("The ticket is closed: it takes no reply and no changes."), refused=True)]
    plan: list[Change] = []
    # A public agent reply moves a new ticket to open (tickets.services.message_create);
    # the actions start from there.
    start = Status.OPEN if reply.strip() and ticket.status == Status.NEW else ticket.status
    final_status = start
    fields = field_changes(parts, ticket)
    target = fields.get("status")
    if target is not None and target != start:
        if target in TRANSITIONS[start]:
            final_status = target
        else:
            plan.append(
                Change(
                    "status",
                    _("Status: %(current)s → %(target)s is not allowed; the status stays %(current)s.")
                    % {"current": _status_label(start), "target": _status_label(target)},
                    refused=True,
                )
            )
    if final_status != ticket.status:
        key = "status" if final_status != start else "reply"
        plan.append(
            Change(
                key,
                _("Status: %(old)s → %(new)s")
                % {"old": _status_label(ticket.status), "new": _status_label(final_status)},
            )
        )
    if "priority" in fields and fields["priority"] != ticket.priority:
        plan.append(
            Change(
                "priority",
                _("Priority: %(old)s → %(new)s")
                % {"old": ticket.get_priority_display(), "new": Priority(fields["priority"]).label},
            )
        )
    if "category" in fields and fields["category"].pk != ticket.category_id:
        plan.append(
            Change(
                "category",
                _("Category: %(old)s → %(new)s") % {"old": ticket.category.name, "new": fields["category"].name},
            )
        )
    team_id = ticket.team_id
    assignee = ticket.assigned_agent if ticket.assigned_agent_id else None
    if "team" in fields and (fields["team"].pk if fields["team"] else None) != ticket.team_id:
        team = fields["team"]
        plan.append(
            Change(
                "team",
                _("Team: %(old)s → %(new)s")
                % {
                    "old": ticket.team.name if ticket.team_id else _("none"),
                    "new": team.name if team is not None else _("none"),
                },
            )
        )
        team_id = team.pk if team is not None else None
        if team is not None and assignee is not None and not team.members.filter(pk=assignee.pk).exists():
            plan.append(
                Change(
                    "team",
                    _("Assignee: %(old)s → nobody (not in the team %(team)s)")
                    % {"old": assignee.name, "team": team.name},
                )
            )
            assignee = None
    if "tags" in fields:
        old = ticket.tag_names()
        added = [name for name in fields["tags"] if name not in old]
        removed = [name for name in old if name not in fields["tags"]]
        words = [f"+ {name}" for name in added] + [f"- {name}" for name in removed]
        if words:
            plan.append(Change("tags", _("Tags: %(changes)s") % {"changes": ", ".join(words)}))
    for part in parts:
        plan += _action_words(part, ticket=ticket, agent_name=agent_name, status=final_status, team_id=team_id)
        if part.kind == ActionKind.SET_ASSIGNEE:
            assignee = _assignee_change(plan, part, assignee, status=final_status, team_id=team_id)
    return plan


def _assignee_change(plan: list[Change], part: Part, current: Agent | None, *, status: str, team_id) -> Agent | None:
    value = part.value.strip()
    agent = Agent.objects.filter(user__username__iexact=value).first() if value else None
    if (agent.pk if agent else None) == (current.pk if current else None):
        return current
    old = current.name if current is not None else _nobody()
    if agent is None:
        plan.append(Change("assignee", _("Assignee: %(old)s → nobody") % {"old": old}))
        return None
    if status not in ACTIVE_STATUSES:
        plan.append(
            Change(
                "assignee",
                _("Assignee → %(agent)s: %(reason)s") % {"agent": agent.name, "reason": NOT_ASSIGNABLE[status]},
                refused=True,
            )
        )
        return current
    if not agent_may_see(agent, team_id):
        plan.append(
            Change(
                "assignee",
                _("Assignee → %(agent)s: %(reason)s") % {"agent": agent.name, "reason": NotATeamMember(agent)},
                refused=True,
            )
        )
        return current
    plan.append(Change("assignee", _("Assignee: %(old)s → %(new)s") % {"old": old, "new": agent.name}))
    return agent


def _action_words(part: Part, *, ticket: Ticket, agent_name: str, status: str, team_id) -> list[Change]:
    """The words of an action other than a field change (those are planned together)."""
    K = ActionKind
    kind = part.kind
    if kind == K.ADD_NOTE:
        body = render(part.body, ticket=ticket, agent_name=agent_name)
        short = body if len(body) <= NOTE_PREVIEW else body[: NOTE_PREVIEW - 1] + "…"
        return [Change("note", _("Internal note: %(text)s") % {"text": short})]
    if kind in (K.EMAIL_CUSTOMER, K.EMAIL_ASSIGNEE, K.EMAIL_TEAM, K.EMAIL_ADDRESS):
        subject = render(part.subject, ticket=ticket, agent_name=agent_name)
        if kind == K.EMAIL_CUSTOMER:
            words = _("Email to the customer: %(subject)s")
        elif kind == K.EMAIL_ASSIGNEE:
            words = _("Email to the assignee: %(subject)s")
        elif kind == K.EMAIL_TEAM:
            words = _("Email to the team: %(subject)s")
        else:
            words = _("Email to %(address)s: %(subject)s")
        return [Change(kind, words % {"subject": subject, "address": part.value.strip()})]
    if kind == K.NOTIFY:
        return [Change("notify", _("Notice in the app to %(who)s") % {"who": part.value.strip()})]
    if kind == K.CALL_WEBHOOK:
        return [Change("webhook", _("Webhook calls are made by triggers and time rules, not by macros."), refused=True)]
    return []


def macro_preview(*, macro: Macro, ticket: Ticket, agent: Agent | None, agent_name: str | None = None) -> dict:
    """What applying `macro` to `ticket` would do, written nowhere: the rendered reply, the
    changes in words, and the actions that would be refused (in words, with the reason)."""
    name = agent_name or (agent.name if agent is not None else "")
    reply = render(macro.reply, ticket=ticket, agent_name=name)
    plan = macro_plan(macro=macro, ticket=ticket, agent_name=name, reply=reply)
    return {
        "macro": macro,
        "reply": reply,
        "changes": [change.words for change in plan if not change.refused],
        "refused": [change.words for change in plan if change.refused],
        "text_only": not macro.actions.all(),
        "closed": ticket.status == Status.CLOSED,
    }


# --- apply -------------------------------------------------------------------------------


@dataclass
class Applied:
    """What applying a macro did: the changes in words, what was refused, the reply sent."""

    ticket: Ticket
    message: Message | None = None
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@reported
def macro_apply(*, macro: Macro, ticket: Ticket, actor: Actor, reply_text: str | None = None) -> Applied:
    """Apply `macro` to `ticket` as the agent `actor`, in one transaction: the history line,
    the reply (the macro's, placeholders filled, or `reply_text` as the agent edited it;
    empty: none) as the agent's public reply, then the actions as that agent. A closed
    ticket refuses it all (TicketClosed)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("category", "team", "assigned_agent")
        .get(pk=ticket.pk)
    )
    if ticket.status == Status.CLOSED:
        raise TicketClosed(
            _("Ticket %(number)s is closed; a macro can no longer be applied to it.") % {"number": ticket.number}
        )
    agent_name = actor.name
    reply = render(macro.reply, ticket=ticket, agent_name=agent_name) if reply_text is None else reply_text
    plan = macro_plan(macro=macro, ticket=ticket, agent_name=agent_name, reply=reply)
    record_event(ticket=ticket, kind=EventKind.AUTOMATION, actor=actor, new=f"macro {macro.name}")
    message = None
    if reply.strip():
        message = message_create(ticket=ticket, body=reply, actor=actor, internal=False)
        # The reply may have moved the ticket (new → open): the actions start from there.
        ticket = Ticket.objects.select_related("category", "team", "assigned_agent").get(pk=ticket.pk)
    outcome = apply_actions(ticket=ticket, actions=macro_parts(macro), actor=actor, agent_name=agent_name)
    done_keys = {"reply", *outcome.done}
    done = [change.words for change in plan if not change.refused and change.key in done_keys]
    ticket = Ticket.objects.select_related("category", "team", "assigned_agent").get(pk=ticket.pk)
    return Applied(ticket=ticket, message=message, done=done, skipped=list(outcome.skipped))
