"""What an agent sees of a ticket's SLA clock: a state and a sentence, computed from the
ticket's own fields (no query), so a queue of any length costs nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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
        # Translators: short durations in SLA badges ("2d 3h", "2h 15m", "40m"): days, hours, minutes.
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)dm") % {"minutes": minutes}


def _target_name(target: str) -> str:
    """The target as agents read it; `target` itself stays the English key ("first response")."""
    if target == "first response":
        return pgettext("SLA target", "first response")
    if target == "resolution":
        return pgettext("SLA target", "resolution")
    return target


def _clock(target: str, due: datetime | None, at_risk: datetime | None, now: datetime) -> Clock:
    if due is None:
        return Clock("none", _("no SLA"), target)
    name = _target_name(target)
    if due <= now:
        # Translators: an SLA badge: target is "first response" or "resolution", duration e.g. "2h 15m".
        label = _("Breached: %(target)s %(duration)s late") % {"target": name, "duration": _duration(now - due)}
        return Clock("breached", label, target, due)
    if at_risk is not None and at_risk <= now:
        label = _("At risk: %(target)s due in %(duration)s") % {"target": name, "duration": _duration(due - now)}
        return Clock("at_risk", label, target, due)
    label = _("On track: %(target)s due in %(duration)s") % {"target": name, "duration": _duration(due - now)}
    return Clock("on_track", label, target, due)


def ticket_clock(ticket, now: datetime | None = None) -> Clock:
    """The clock that matters now: first response until there is one, then resolution."""
    now = now or timezone.now()
    if ticket.sla_policy_id is None:
        return Clock("none", _("No SLA"))
    if ticket.status in ("resolved", "closed"):
        return Clock("done", pgettext("SLA clock", "Done"))
    if ticket.status not in RUNNING_STATUSES:
        # Translators: an SLA badge; status is the ticket's in a word ("pending", "on hold").
        return Clock("paused", _("Paused while %(status)s") % {"status": ticket.status_word()})
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
        label = _("First response: met") if met else _("First response: missed")
        clocks.append(Clock("done" if met else "breached", label, "first response"))
    elif ticket.status in RUNNING_STATUSES:
        clocks.append(_clock("first response", ticket.first_response_due_at, ticket.first_response_at_risk_at, now))
    if ticket.resolved_at is not None:
        met = ticket.resolved_at <= ticket.resolution_due_at
        label = _("Resolution: met") if met else _("Resolution: missed")
        clocks.append(Clock("done" if met else "breached", label, "resolution"))
    elif ticket.status in RUNNING_STATUSES:
        clocks.append(_clock("resolution", ticket.resolution_due_at, ticket.resolution_at_risk_at, now))
    else:
        status = ticket.status_word()
        # Translators: as "Paused while …", on the ticket page's resolution clock.
        clocks.append(Clock("paused", _("Clock paused while %(status)s") % {"status": status}, "resolution"))
    return clocks
