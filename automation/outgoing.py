"""What automation tells webhooks (notifications.webhooks): the events of a ticket, an SLA
scan's violations and warnings, feedback, and a trigger's explicit call.

Each is queued in the transaction of what it reports, with the ticket's ordering key, so a
ticket's events reach each receiver in the order they happened (notifications.delivery). An
event no webhook subscribes to costs nothing: `subscribed` is kept per process. Internal
notes are never sent: integrations do not read them (the API hides them too).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from agents.roles import Actor
from automation.payloads import changes_data, message_data, ticket_data
from feedback.models import Feedback
from notifications.subscriptions import subscribed
from notifications.webhooks import webhooks_enqueue
from sla.models import SLAViolation, SLAWarning
from tickets.models import EventKind, Message, Ticket, TicketEvent

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
MESSAGE_CREATED = "message.created"
SLA_WARNING = "sla.warning"
SLA_VIOLATION = "sla.violation"
FEEDBACK_RECEIVED = "feedback.received"
TRIGGER_FIRED = "trigger.fired"

_MESSAGE = re.compile(r"^message (\d+)$")
_RATING = re.compile(r"^(\d+) for message (\d+)$")


def ordering_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def send_ticket_events(ticket: Ticket, events: Sequence[TicketEvent]) -> int:
    """Queue the webhooks one service call's history lines amount to; how many rows."""
    wanted = [name for name in (TICKET_CREATED, TICKET_UPDATED, MESSAGE_CREATED, FEEDBACK_RECEIVED) if subscribed(name)]
    if not wanted:
        return 0
    kinds = {event.kind for event in events}
    key = ordering_key(ticket.pk)
    data = None

    def ticket_now() -> dict:
        nonlocal data
        if data is None:
            data = ticket_data(ticket)
        return data

    queued = 0
    if EventKind.CREATED in kinds:
        if TICKET_CREATED in wanted:
            queued += webhooks_enqueue(event=TICKET_CREATED, data={"ticket": ticket_now()}, ordering_key=key)
        return queued
    for event in events:
        if event.kind in (EventKind.REPLY, EventKind.CUSTOMER_REPLY) and MESSAGE_CREATED in wanted:
            match = _MESSAGE.match(event.new_value)
            message = Message.objects.filter(pk=int(match[1]), internal=False).first() if match else None
            if message is not None:
                payload = {"ticket": ticket_now(), "message": message_data(message)}
                queued += webhooks_enqueue(event=MESSAGE_CREATED, data=payload, ordering_key=key)
        elif (
            event.kind == EventKind.RATING and FEEDBACK_RECEIVED in wanted and (match := _RATING.match(event.new_value))
        ):
            message = Message.objects.filter(pk=int(match[2])).first()
            feedback = {
                "ticket_id": ticket.pk,
                "rating": int(match[1]),
                "comment": message.rating_comment if message is not None else "",
                "message_id": int(match[2]),
                "at": event.created_at.isoformat(),
            }
            queued += webhooks_enqueue(
                event=FEEDBACK_RECEIVED, data={"ticket": ticket_now(), "feedback": feedback}, ordering_key=key
            )
    changes = changes_data(events)
    if changes and TICKET_UPDATED in wanted:
        queued += webhooks_enqueue(
            event=TICKET_UPDATED, data={"ticket": ticket_now(), "changes": changes}, ordering_key=key
        )
    return queued


def send_feedback(feedback: Feedback) -> int:
    if not subscribed(FEEDBACK_RECEIVED):
        return 0
    ticket = Ticket.objects.get(pk=feedback.ticket_id)
    data = {
        "ticket": ticket_data(ticket),
        "feedback": {
            "ticket_id": feedback.ticket_id,
            "rating": feedback.overall,
            "comment": feedback.comment,
            "at": feedback.created_at.isoformat(),
        },
    }
    return webhooks_enqueue(event=FEEDBACK_RECEIVED, data=data, ordering_key=ordering_key(ticket.pk))


def sla_subscribed() -> bool:
    return bool(subscribed(SLA_VIOLATION) or subscribed(SLA_WARNING))


def send_sla_events(scan_id: uuid.UUID) -> int:
    """One row per violation or warning the scan recorded, per subscribed webhook."""
    queued = 0
    for event, model, at in ((SLA_VIOLATION, SLAViolation, "detected_at"), (SLA_WARNING, SLAWarning, "detected_at")):
        if not subscribed(event):
            continue
        for row in model.objects.filter(scan_id=scan_id).select_related("ticket").order_by("ticket_id", "kind"):
            data = {
                "ticket": ticket_data(row.ticket),
                "violation": {
                    "ticket_id": row.ticket_id,
                    "kind": row.kind,
                    "due_at": row.due_at.isoformat() if getattr(row, "due_at", None) else None,
                    "at": getattr(row, at).isoformat() if getattr(row, at, None) else None,
                },
            }
            queued += webhooks_enqueue(event=event, data=data, ordering_key=ordering_key(row.ticket_id))
    return queued


def call_webhook(ticket: Ticket, webhook_id: int, actor: Actor) -> None:
    """A trigger's or rule's "call a webhook" action: that webhook alone, whatever its events."""
    data = {"ticket": ticket_data(ticket), "by": {"type": actor.type, "name": actor.name}}
    webhooks_enqueue(event=TRIGGER_FIRED, data=data, ordering_key=ordering_key(ticket.pk), webhook_id=webhook_id)
