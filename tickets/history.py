"""The ticket's history: one TicketEvent per change (who, what, when), written in the
transaction of the change; and what one service call changed, told to the apps above.

`reported` wraps the public services of tickets (in place of `transaction.atomic`): the
events every nested call records are collected, and when the outermost call returns, still
inside its transaction, `ticket_changed` is sent once per ticket with that ticket's events
in order. A call that fails leaves none of its events behind (its savepoint rolled back
their rows). Receivers run synchronously, in the transaction: what they write commits or
rolls back with the change (automation's triggers, the webhook rows of the outbox).

    ticket_changed(sender=Ticket, ticket=<Ticket as the service left it>, events=[TicketEvent])

A receiver that changes the ticket through these services starts a collection of its own,
and so a signal of its own, after the first one's: automation bounds how deep that goes.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.dispatch import Signal

from agents.roles import Actor
from tickets.models import Ticket, TicketEvent

ticket_changed = Signal()

_collecting = threading.local()

F = TypeVar("F", bound=Callable[..., Any])


def record_event(*, ticket: Ticket, kind: str, actor: Actor, old: Any = "", new: Any = "") -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor_type=actor.type,
        actor_user=actor.user if actor.user is not None and actor.user.pk else None,
        actor_name=actor.name[:255],
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
    )
    events = getattr(_collecting, "events", None)
    if events is not None:
        events.append(event)
    return event


def reported(service: F) -> F:
    """Run `service` in a transaction and, if it is the outermost, announce what it changed."""

    @functools.wraps(service)
    def run(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            outermost = getattr(_collecting, "events", None) is None
            if outermost:
                _collecting.events = []
            events = _collecting.events
            mark = len(events)
            try:
                result = service(*args, **kwargs)
            except BaseException:
                del events[mark:]  # rolled back with the call's savepoint
                if outermost:
                    _collecting.events = None
                raise
            if outermost:
                _collecting.events = None
                announce(events)
            return result

    return run  # type: ignore[return-value]


def announce(events: list[TicketEvent]) -> None:
    """Send `ticket_changed` for each ticket of `events`, in the order they were first changed."""
    by_ticket: dict[int, list[TicketEvent]] = {}
    for event in events:
        by_ticket.setdefault(event.ticket_id, []).append(event)
    for ticket_events in by_ticket.values():
        ticket_changed.send(sender=Ticket, ticket=ticket_events[-1].ticket, events=ticket_events)
