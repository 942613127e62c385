"""Where automation listens: the seams of the apps below it (docs/architecture.md).

- tickets.history.ticket_changed: a service call changed a ticket. Its events are read as
  automation events (ticket.created, ticket.updated, message.customer / .agent / .note,
  feedback.received for a rated reply) and triggers run for each, in the transaction.
- feedback.signals.feedback_received: a survey answer or an integration's feedback.
- sla.signals.events_recorded: a scan recorded violations or warnings; their triggers run
  after the scan commits, in a task (automation.tasks.sla_events), one ticket per
  transaction, so the scan's statement never waits on them.
- Saving or deleting a trigger, time rule or their parts: what processes keep is read again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from automation import cache, models, outgoing
from automation.engine import Facts
from automation.models import Event
from automation.tasks import sla_events
from automation.triggers import listening, run_triggers
from feedback.models import Feedback
from feedback.signals import feedback_received
from sla.signals import events_recorded
from tickets.history import ticket_changed
from tickets.models import EventKind, Message, Ticket, TicketEvent

UPDATES = frozenset(
    {
        EventKind.STATUS,
        EventKind.PRIORITY,
        EventKind.CATEGORY,
        EventKind.ASSIGNEE,
        EventKind.TAGS,
        EventKind.SUBJECT,
        EventKind.TEAM,
        EventKind.CUSTOMER,
    }
)
MESSAGES = {
    EventKind.CUSTOMER_REPLY: Event.CUSTOMER_MESSAGE,
    EventKind.REPLY: Event.AGENT_MESSAGE,
    EventKind.NOTE: Event.NOTE,
}
_MESSAGE = re.compile(r"^message (\d+)$")


def automation_events(events: Sequence[TicketEvent]) -> list[tuple[str, int | None]]:
    """The automation events a service call's history lines amount to, in order, each with
    the message it concerns (None for changes): creation stands for everything done with it."""
    kinds = [event.kind for event in events]
    if EventKind.AUTOMATION in kinds and all(kind == EventKind.AUTOMATION for kind in kinds):
        return []
    if EventKind.CREATED in kinds:
        return [(Event.TICKET_CREATED, None)]
    found: list[tuple[str, int | None]] = []
    for event in events:
        if event.kind in MESSAGES and (match := _MESSAGE.match(event.new_value)):
            found.append((MESSAGES[event.kind], int(match[1])))
        elif event.kind == EventKind.RATING:
            found.append((Event.FEEDBACK, None))
    if any(kind in UPDATES for kind in kinds):
        found.append((Event.TICKET_UPDATED, None))
    return found


def on_ticket_changed(sender, *, ticket: Ticket, events: Sequence[TicketEvent], **kwargs) -> None:
    # The webhooks of the change first, then the triggers: the rows of what the triggers do
    # come after it, in a ticket's order.
    outgoing.send_ticket_events(ticket, events)
    for name, message_id in automation_events(events):
        if not listening(name):
            continue
        message = Message.objects.filter(pk=message_id).first() if message_id is not None else None
        facts = Facts.of_events(ticket, name, events, message)
        run_triggers(ticket=ticket, event=name, facts=facts, webhook_call=outgoing.call_webhook)


def on_feedback(sender, *, feedback: Feedback, **kwargs) -> None:
    outgoing.send_feedback(feedback)
    if not listening(Event.FEEDBACK):
        return
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=feedback.ticket_id)
    facts = Facts(ticket=ticket, event=Event.FEEDBACK)
    run_triggers(ticket=ticket, event=Event.FEEDBACK, facts=facts, webhook_call=outgoing.call_webhook)


def on_sla_events(sender, *, scan_id, violations: int, warnings: int, **kwargs) -> None:
    # No question asked here: the scan's statements are counted and stay the same (the task
    # asks whether any trigger listens, and does nothing if none does).
    transaction.on_commit(lambda: _queue_sla_events(str(scan_id)))


def _queue_sla_events(scan_id: str) -> None:
    if listening(Event.SLA_VIOLATION) or listening(Event.SLA_WARNING) or outgoing.sla_subscribed():
        sla_events.delay(scan_id)


def on_rules_changed(sender, **kwargs) -> None:
    cache.changed()  # now, and again on commit (core.versioned)


def connect() -> None:
    ticket_changed.connect(on_ticket_changed, dispatch_uid="automation.triggers")
    feedback_received.connect(on_feedback, dispatch_uid="automation.feedback")
    events_recorded.connect(on_sla_events, dispatch_uid="automation.sla")
    for model in (
        models.Trigger,
        models.TriggerCondition,
        models.TriggerAction,
        models.TimeRule,
        models.TimeRuleCondition,
        models.TimeRuleAction,
    ):
        post_save.connect(on_rules_changed, sender=model, dispatch_uid=f"automation.changed.{model.__name__}")
        post_delete.connect(on_rules_changed, sender=model, dispatch_uid=f"automation.changed.{model.__name__}.d")
