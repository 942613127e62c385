"""The ticket status machine, defined once; the service layer, the API and the UI read it.

    new ─▶ open ─▶ pending / on_hold ─▶ resolved ─▶ closed
                 ◀──────────────────────  │ (reopen)
A customer reply to a pending or resolved ticket reopens it (services.message_create).
Closed is final: a customer who writes again opens a new ticket.
"""

from __future__ import annotations

from typing import Any

from core.refusals import Refusal
from tickets.models import Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED),
    Status.OPEN: (Status.PENDING, Status.ON_HOLD, Status.RESOLVED),
    Status.PENDING: (Status.OPEN, Status.ON_HOLD, Status.RESOLVED),
    Status.ON_HOLD: (Status.OPEN, Status.PENDING, Status.RESOLVED),
    Status.RESOLVED: (Status.OPEN, Status.CLOSED),
    Status.CLOSED: (),
}


class IllegalTransition(Refusal):
    """Answered 409 with the statuses the ticket may move to."""

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        self.allowed = list(TRANSITIONS[current])
        allowed = ", ".join(self.allowed) or "none, the ticket is closed"
        super().__init__(f"A {current} ticket cannot become {target}; allowed: {allowed}.")

    def payload(self) -> dict[str, Any]:
        return {"detail": str(self), "status": self.current, "allowed_statuses": self.allowed}


def allowed_targets(current: str) -> tuple[str, ...]:
    return TRANSITIONS[current]


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
