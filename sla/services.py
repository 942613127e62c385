"""The SLA clock of each ticket: picking the policy, due times, pauses, time taken.

Due and at-risk times are counted from the ticket's creation in the policy calendar's
business time. The clock stops while the team is not the one who owes the next step:
pending (waiting on the customer), on_hold (waiting on a third party), and resolved. On
leaving those statuses the business minutes spent stopped are added to every due and
at-risk time; because business-time addition is associative this equals counting the
target plus all paused minutes from creation, which is how the times are recomputed when
the priority, category, team, customer or channel (and so the policy) changes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import add

from django.db.models import Case, Q, Value, When, prefetch_related_objects
from django.utils import timezone

from core.versioned import SharedVersion
from sla.business_time import TWENTY_FOUR_SEVEN, Schedule, add_business_minutes, business_minutes_between
from sla.models import RUNNING_STATUSES, SLAPolicy
from tickets.models import Ticket

SLA_FIELDS = [
    "sla_policy",
    "first_response_due_at",
    "resolution_due_at",
    "first_response_at_risk_at",
    "resolution_at_risk_at",
]


# Policies and their calendars change rarely and are read on every ticket create and every
# change of what picks the policy: three queries, and 5 ms of CPU building a calendar's
# hours and holidays. Each process keeps what it read, under a version kept in the shared
# cache: any change to a policy, calendar, hours or holiday sets a new version (at once and
# again after commit: a process that read the old rows in between cannot keep them), and
# versions expire, so even a change made behind the ORM's back is seen within minutes.
POLICIES_VERSION_KEY = "sla:policies:version"
POLICIES_VERSION_SECONDS = 300

# What picks a ticket's policy besides its priority: (category, team, organisation, channel).
PolicyKey = tuple[str, int | None, int | None, int | None, str]


@dataclass
class _Kept:
    """What one process read under one version: the policy of each key, and each calendar's
    schedule (many keys share a policy, so a key read later finds its calendar built)."""

    policies: dict[PolicyKey, SLAPolicy | None] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)


_read: dict[str, _Kept] = {}


_version = SharedVersion(POLICIES_VERSION_KEY, POLICIES_VERSION_SECONDS)


def policies_changed() -> None:
    """Retire every process's policies (sla.apps connects it to the models' changes)."""
    _version.bump()


def _policies_version() -> str | None:
    return _version.current()


def policy_for(
    *,
    priority: str,
    category_id: int | None,
    team_id: int | None,
    organization_id: int | None,
    channel: str,
) -> SLAPolicy | None:
    """The active policy for a ticket with these facts: the most specific one (see
    `_read_policy` for the precedence, documented in docs/features.md).

    Kept per process (until a policy, calendar, hours or holiday changes); every caller gets
    a copy of its own, so that a change one caller makes is never another's policy."""
    key: PolicyKey = (priority, category_id, team_id, organization_id, channel)
    version = _policies_version()
    if version is None:  # no cache to agree on a version with: read it every time
        return _read_policy(key, _Kept())
    kept = _read.get(version)
    if kept is None:
        _read.clear()
        kept = _read[version] = _Kept()
    if key not in kept.policies:
        kept.policies[key] = _read_policy(key, kept)
    return _copy_of(kept.policies[key])


def policy_for_ticket(ticket: Ticket) -> SLAPolicy | None:
    """The policy `policy_for` picks for the ticket as it is now (its organisation is its
    customer profile's; no profile yet, no organisation)."""
    return policy_for(
        priority=ticket.priority,
        category_id=ticket.category_id,
        team_id=ticket.team_id,
        organization_id=ticket.customer.organization_id if ticket.customer_id is not None else None,
        channel=ticket.channel,
    )


def _copy_of(policy: SLAPolicy | None) -> SLAPolicy | None:
    """A copy of a kept policy and of its calendar (a few microseconds; reading them again
    cost about 5 ms). The calendar's built schedule is immutable and shared; its prefetched
    hours and holidays, already folded into the schedule, are left behind, not shared."""
    if policy is None:
        return None
    copied = copy.copy(policy)  # Model.__getstate__: its own __dict__ and related-object cache
    if policy.calendar is not None:
        calendar = copy.copy(policy.calendar)
        calendar.__dict__.pop("_prefetched_objects_cache", None)
        copied.calendar = calendar
    return copied


def _named(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0))


# The scopes a policy may name, most important first: the order that breaks a tie between
# policies naming as many of them (docs/features.md, "Which policy applies").
_SCOPES_NAMED = (
    _named(Q(organization__isnull=False)),
    _named(Q(team__isnull=False)),
    _named(Q(category__isnull=False)),
    _named(~Q(channel="")),
)


def _read_policy(key: PolicyKey, kept: _Kept) -> SLAPolicy | None:
    """The most specific active policy matching the key, in one statement.

    1. A policy matches when its priority is the ticket's and each of its category, team,
       organisation and channel is empty (any) or the ticket's.
    2. Of those, the one naming the most of the four wins (a matching policy names only
       what the ticket has, so naming is matching).
    3. A tie goes to the one naming the organisation, then the team, then the category, then
       the channel; then to the oldest (lowest id).
    Its calendar's hours and holidays are read only if no key read before found that calendar.
    """
    priority, category_id, team_id, organization_id, channel = key
    policy = (
        SLAPolicy.objects.filter(active=True, priority=priority)
        .filter(Q(category__isnull=True) | Q(category_id=category_id))
        .filter(Q(team__isnull=True) | Q(team_id=team_id))
        .filter(Q(organization__isnull=True) | Q(organization_id=organization_id))
        .filter(Q(channel="") | Q(channel=channel))
        .select_related("calendar")
        .order_by(reduce(add, _SCOPES_NAMED).desc(), *(named.desc() for named in _SCOPES_NAMED), "id")
        .first()
    )
    if policy is None or policy.calendar is None:
        return policy
    schedule = kept.schedules.get(policy.calendar_id)
    if schedule is None:
        prefetch_related_objects([policy.calendar], "hours", "holidays")
        schedule = kept.schedules[policy.calendar_id] = policy.calendar.schedule()
    else:
        policy.calendar.__dict__["_schedule"] = schedule  # BusinessCalendar.schedule() keeps it there
    return policy


def schedule_of(policy: SLAPolicy | None) -> Schedule:
    if policy is None or policy.calendar is None:
        return TWENTY_FOUR_SEVEN
    return policy.calendar.schedule()


def _ongoing_pause(ticket: Ticket, schedule: Schedule, now: datetime) -> float:
    if ticket.sla_paused_at is None:
        return 0.0
    return business_minutes_between(ticket.sla_paused_at, now, schedule)


def sla_apply(*, ticket: Ticket) -> list[str]:
    """Pick the policy and set the four times from creation; return the fields changed.

    A ticket without a matching policy gets no times at all: it is reported as having no
    SLA, never as compliant.
    """
    policy = policy_for_ticket(ticket)
    ticket.sla_policy = policy
    if policy is None:
        for name in SLA_FIELDS[1:]:
            setattr(ticket, name, None)
        return SLA_FIELDS
    schedule = schedule_of(policy)
    paused = ticket.sla_paused_minutes

    def at(minutes: float) -> datetime:
        return add_business_minutes(ticket.created_at, minutes + paused, schedule)

    first_response, resolution = policy.first_response_hours * 60, policy.resolution_hours * 60
    share = policy.at_risk_percent / 100
    if ticket.first_responded_at is None:  # once answered, the first-response result is fixed
        ticket.first_response_due_at = at(first_response)
        ticket.first_response_at_risk_at = at(first_response * share)
    ticket.resolution_due_at = at(resolution)
    ticket.resolution_at_risk_at = at(resolution * share)
    return SLA_FIELDS


def sla_pause(*, ticket: Ticket, now: datetime) -> list[str]:
    if ticket.sla_paused_at is not None:
        return []
    ticket.sla_paused_at = now
    return ["sla_paused_at"]


def sla_resume(*, ticket: Ticket, now: datetime) -> list[str]:
    """End a pause: add its business minutes to the total and move every time forward."""
    if ticket.sla_paused_at is None:
        return []
    schedule = schedule_of(ticket.sla_policy)
    paused = business_minutes_between(ticket.sla_paused_at, now, schedule)
    ticket.sla_paused_at = None
    ticket.sla_paused_minutes += paused
    fields = ["sla_paused_at", "sla_paused_minutes"]
    if ticket.sla_policy_id is not None and paused > 0:
        moving = ["resolution_due_at", "resolution_at_risk_at"]
        if ticket.first_responded_at is None:  # an answered ticket's first response is settled
            moving += ["first_response_due_at", "first_response_at_risk_at"]
        for name in moving:
            value = getattr(ticket, name)
            if value is not None:
                setattr(ticket, name, add_business_minutes(value, paused, schedule))
        fields += SLA_FIELDS[1:]
    return fields


def sla_status_changed(*, ticket: Ticket, previous: str, now: datetime | None = None) -> list[str]:
    """Stop or restart the clock as the status moves in or out of RUNNING_STATUSES."""
    now = now or timezone.now()
    fields: list[str] = []
    if ticket.status == Ticket.Status.RESOLVED:
        fields += sla_record_resolution(ticket=ticket, at=now)
    elif (
        previous == Ticket.Status.RESOLVED
        and ticket.status != Ticket.Status.CLOSED
        and ticket.resolution_minutes is not None
    ):
        ticket.resolution_minutes = None  # reopened: it is not resolved any more
        fields.append("resolution_minutes")
    running_before, running_now = previous in RUNNING_STATUSES, ticket.status in RUNNING_STATUSES
    if running_before and not running_now:
        fields += sla_pause(ticket=ticket, now=now)
    elif running_now and not running_before:
        fields += sla_resume(ticket=ticket, now=now)
    return fields


def _minutes_taken(ticket: Ticket, at: datetime) -> float:
    schedule = schedule_of(ticket.sla_policy)
    elapsed = business_minutes_between(ticket.created_at, at, schedule)
    return max(0.0, elapsed - ticket.sla_paused_minutes - _ongoing_pause(ticket, schedule, at))


def sla_record_first_response(*, ticket: Ticket, at: datetime) -> list[str]:
    if ticket.sla_policy_id is None:
        return []
    ticket.first_response_minutes = _minutes_taken(ticket, at)
    return ["first_response_minutes"]


def sla_record_resolution(*, ticket: Ticket, at: datetime) -> list[str]:
    if ticket.sla_policy_id is None:
        return []
    ticket.resolution_minutes = _minutes_taken(ticket, at)
    return ["resolution_minutes"]
