"""What an agent sees of a ticket's SLA clock: a state and a sentence, computed from the
ticket's own fields (no query), so a queue of any length costs nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from sla.models import RUNNING_STATUSES


@dataclass(frozen=True)
class Clock:
    state: str  # breached, at_risk, on_track, paused, done, none
    label: str
    target: str = ""
    due_at: datetime | None = None


def _duration(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def _clock(target: str, due: datetime | None, at_risk: datetime | None, now: datetime) -> Clock:
    if due is None:
        return Clock("none", "no SLA", target)
    if due <= now:
        return Clock("breached", f"Breached: {target} {_duration(now - due)} late", target, due)
    if at_risk is not None and at_risk <= now:
        return Clock("at_risk", f"At risk: {target} due in {_duration(due - now)}", target, due)
    return Clock("on_track", f"On track: {target} due in {_duration(due - now)}", target, due)


def ticket_clock(ticket, now: datetime | None = None) -> Clock:
    """The clock that matters now: first response until there is one, then resolution."""
    now = now or timezone.now()
    if ticket.sla_policy_id is None:
        return Clock("none", "No SLA")
    if ticket.status in ("resolved", "closed"):
        return Clock("done", "Done")
    if ticket.status not in RUNNING_STATUSES:
        return Clock("paused", f"Paused while {ticket.get_status_display().lower()}")
    if ticket.first_responded_at is None:
        return _clock("first response", ticket.first_response_due_at, ticket.first_response_at_risk_at, now)
    return _clock("resolution", ticket.resolution_due_at, ticket.resolution_at_risk_at, now)


def ticket_clocks(ticket, now: datetime | None = None) -> list[Clock]:
    """Both clocks, for the ticket page."""
    now = now or timezone.now()
    if ticket.sla_policy_id is None:
        return []
    clocks = []
    if ticket.first_responded_at is not None:
        met = ticket.first_responded_at <= ticket.first_response_due_at
        clocks.append(
            Clock("done" if met else "breached", "First response: " + ("met" if met else "missed"), "first response")
        )
    elif ticket.status in RUNNING_STATUSES:
        clocks.append(_clock("first response", ticket.first_response_due_at, ticket.first_response_at_risk_at, now))
    if ticket.resolved_at is not None:
        met = ticket.resolved_at <= ticket.resolution_due_at
        clocks.append(Clock("done" if met else "breached", "Resolution: " + ("met" if met else "missed"), "resolution"))
    elif ticket.status in RUNNING_STATUSES:
        clocks.append(_clock("resolution", ticket.resolution_due_at, ticket.resolution_at_risk_at, now))
    else:
        clocks.append(Clock("paused", f"Clock paused while {ticket.get_status_display().lower()}", "resolution"))
    return clocks
