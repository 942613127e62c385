"""Triggers: conditions checked when something happens to a ticket, actions when they hold.

`run_triggers` is called by automation.receivers inside the transaction of the change
(tickets.history.ticket_changed, sla.signals, feedback.signals), so a trigger's changes
commit or roll back with it, and what it sends is an outbox row of that transaction.

Order and loops. Active triggers run in their order (position, id), each checked against
the ticket as the triggers before it left it. A trigger's own changes are a change like any
other and may fire triggers in turn, but within one chain (everything one change sets off)
each trigger fires at most once, and the chain goes at most AUTOMATION_TRIGGER_DEPTH levels
deep: two triggers that undo each other fire once each and stop.

Each firing is written to the ticket's history (EventKind.AUTOMATION, "trigger <name>"),
and the changes it makes are recorded as made by the trigger (actor type "trigger").

Triggers are read once per process and kept under a version in the shared cache that
every save or deletion of a trigger, condition or action replaces (automation.cache), so a
ticket write asks the cache one question and runs no query when no trigger listens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from agents.roles import Actor
from automation.cache import kept
from automation.engine import Facts, Part, apply_actions, conditions_hold
from automation.models import Trigger
from tickets.history import record_event
from tickets.models import EventKind, Ticket

logger = logging.getLogger(__name__)

TRIGGER_ACTOR = "trigger"


@dataclass(frozen=True)
class CompiledTrigger:
    pk: int
    name: str
    events: frozenset[str]
    conditions: tuple[Part, ...]
    actions: tuple[Part, ...]


def _read_triggers() -> tuple[CompiledTrigger, ...]:
    triggers = Trigger.objects.filter(active=True).prefetch_related("conditions", "actions").order_by("position", "id")
    return tuple(
        CompiledTrigger(
            pk=trigger.pk,
            name=trigger.name,
            events=frozenset(trigger.events),
            conditions=tuple(
                Part(group=c.group, field=c.field, operator=c.operator, value=c.value) for c in trigger.conditions.all()
            ),
            actions=tuple(
                Part(kind=a.kind, value=a.value, subject=a.subject, body=a.body) for a in trigger.actions.all()
            ),
        )
        for trigger in triggers
    )


def active_triggers() -> tuple[CompiledTrigger, ...]:
    return kept("triggers", _read_triggers)


def listening(event: str) -> list[CompiledTrigger]:
    return [trigger for trigger in active_triggers() if event in trigger.events]


class _Chain(threading.local):
    depth = 0
    fired: set[tuple[int, int]] | None = None


_chain = _Chain()


def trigger_actor(trigger: CompiledTrigger) -> Actor:
    return Actor(type=TRIGGER_ACTOR, name=trigger.name)


def run_triggers(
    *, ticket: Ticket, event: str, facts: Facts, webhook_call: Callable[[Ticket, int, Actor], None] | None = None
) -> list[str]:
    """Run the active triggers listening for `event` on `ticket`; the names of those that fired."""
    triggers = listening(event)
    if not triggers:
        return []
    if _chain.depth >= settings.AUTOMATION_TRIGGER_DEPTH:
        logger.warning(
            "ticket %s: triggers stopped at depth %s (a chain of triggers setting each other off)",
            ticket.pk,
            _chain.depth,
        )
        return []
    outermost = _chain.fired is None
    if outermost:
        _chain.fired = set()
    fired: list[str] = []
    try:
        for trigger in triggers:
            if (trigger.pk, ticket.pk) in _chain.fired:
                continue
            if not conditions_hold(trigger.conditions, facts):
                continue
            _chain.fired.add((trigger.pk, ticket.pk))
            actor = trigger_actor(trigger)
            record_event(ticket=ticket, kind=EventKind.AUTOMATION, actor=actor, new=f"trigger {trigger.name}")
            _chain.depth += 1
            try:
                outcome = apply_actions(ticket=ticket, actions=trigger.actions, actor=actor, webhook_call=webhook_call)
            finally:
                _chain.depth -= 1
            for reason in outcome.skipped:
                logger.info("ticket %s: trigger %r skipped an action: %s", ticket.pk, trigger.name, reason)
            fired.append(trigger.name)
            if outcome.done:
                # The next triggers see the ticket as this one left it.
                ticket = Ticket.objects.get(pk=ticket.pk)
                facts = Facts(
                    ticket=ticket, event=facts.event, changes=facts.changes, message=facts.message, now=facts.now
                )
    finally:
        if outermost:
            _chain.fired = None
    return fired
