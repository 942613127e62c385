"""The ticket's history: one TicketEvent per change (who, what, when), written in the
transaction of the change."""

from __future__ import annotations

from typing import Any

from agents.roles import Actor
from tickets.models import Ticket, TicketEvent


def record_event(*, ticket: Ticket, kind: str, actor: Actor, old: Any = "", new: Any = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor_type=actor.type,
        actor_user=actor.user if actor.user is not None and actor.user.pk else None,
        actor_name=actor.name[:255],
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
    )
