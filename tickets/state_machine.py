"""The ticket status machine, defined once; the service layer, the API and the UI read it.

    new ─▶ open ─▶ pending / on_hold ─▶ resolved ─▶ closed
                 ◀──────────────────────  │ (reopen)
A customer reply to a pending or resolved ticket reopens it (services.message_create).
Closed is final: a customer who writes again opens a new ticket.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

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
        # The statuses are named by their API values (new, on_hold...), as `status` and
        # `allowed_statuses` beside the message name them.
        values = {"current": current, "target": target, "allowed": ", ".join(self.allowed)}
        if self.allowed:
            # Translators: an agent or an API client asked for a status change the ticket's status does
            # not allow. The statuses are API values (new, open, pending, on_hold, resolved, closed):
            # keep them as they are; "allowed" is a comma-separated list of them.
            message = _("A %(current)s ticket cannot become %(target)s; allowed: %(allowed)s.") % values
        else:
            # Translators: as above, for a closed ticket, which can change to no other status.
            message = _("A %(current)s ticket cannot become %(target)s; allowed: none, the ticket is closed.") % values
        super().__init__(message)

    def payload(self) -> dict[str, Any]:
        return {"detail": str(self), "status": self.current, "allowed_statuses": self.allowed}


def allowed_targets(current: str) -> tuple[str, ...]:
    return TRANSITIONS[current]


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
