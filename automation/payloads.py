"""What a webhook says about a ticket, a message, a change, a violation or feedback: plain
JSON, the same shapes docs/webhooks.md documents. Written when the event happens (the
outbox row keeps it), so a retry sends what was true then."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tickets.models import EventKind, Message, Ticket, TicketEvent

# History kinds a ticket.updated webhook reports, by the field name it gives them.
CHANGED_FIELDS = {
    EventKind.STATUS: "status",
    EventKind.PRIORITY: "priority",
    EventKind.CATEGORY: "category",
    EventKind.ASSIGNEE: "assignee",
    EventKind.TAGS: "tags",
    EventKind.SUBJECT: "subject",
    EventKind.TEAM: "team",
    EventKind.CUSTOMER: "customer",
}


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """The ticket as integrators read it (one query for its names, its tags)."""
    names = (
        Ticket.objects.filter(pk=ticket.pk)
        .values("category__slug", "team__name", "assigned_agent__name", "assigned_agent_id")
        .first()
        or {}
    )
    assignee = None
    if names.get("assigned_agent_id"):
        assignee = {"id": names["assigned_agent_id"], "name": names["assigned_agent__name"]}
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": names.get("category__slug"),
        "team": names.get("team__name"),
        "assignee": assignee,
        "customer": {"email": ticket.customer_email, "name": ticket.customer_name},
        "tags": ticket.tag_names(),
        "created_at": _when(ticket.created_at),
        "updated_at": _when(ticket.updated_at),
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "ticket_id": message.ticket_id,
        "author_type": message.author_type,
        "author_name": message.author_name,
        "body": message.body,
        "internal": message.internal,
        "created_at": _when(message.created_at),
    }


def changes_data(events: Sequence[TicketEvent]) -> list[dict[str, str]]:
    return [
        {"field": CHANGED_FIELDS[event.kind], "from": event.old_value, "to": event.new_value}
        for event in events
        if event.kind in CHANGED_FIELDS
    ]
