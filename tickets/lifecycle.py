"""The ticket's lifecycle hooks: how tickets tells the apps above it what happened.

tickets sits below sla and feedback in the layers (docs/architecture.md), so it never
imports them; they register here from their AppConfig.ready(). The services of
tickets.services call the hooks synchronously, inside their own transaction, at the
moments listed below; hooks of one moment run in registration order, which is the order
of INSTALLED_APPS (sla before feedback). A hook that returns field names has changed the
ticket in memory; the caller saves those fields with its own.

    DUE_TIMES          (ticket) -> fields     the policy and due times are (re)computed:
                                              on creation, and when one of DUE_TIMES_FIELDS
                                              changes
    STATUS_CHANGING    (ticket, previous, now) -> fields
                                              the status is about to be saved
    RESOLVED           (ticket, now)          the ticket was resolved, saved and recorded
    FIRST_RESPONSE     (ticket, at) -> fields the first public agent reply, before it is saved
    FIRST_RESPONDED    (ticket, at)           the first public agent reply, saved

Registered today: sla on every moment (due times, the paused clock, violations of targets
met late), feedback on RESOLVED (the satisfaction survey).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DUE_TIMES = "due_times"
STATUS_CHANGING = "status_changing"
RESOLVED = "resolved"
FIRST_RESPONSE = "first_response"
FIRST_RESPONDED = "first_responded"

# The ticket's fields an SLA policy is picked by (sla.services.policy_for: the customer stands
# for their organisation): a service changing one of them runs DUE_TIMES again.
DUE_TIMES_FIELDS = ("priority", "category", "team", "customer", "channel")

_hooks: dict[str, list[Callable[..., Any]]] = {
    moment: [] for moment in (DUE_TIMES, STATUS_CHANGING, RESOLVED, FIRST_RESPONSE, FIRST_RESPONDED)
}


def register(moment: str, hook: Callable[..., Any]) -> None:
    """Call `hook` with the moment's keyword arguments (once, however often registered)."""
    if hook not in _hooks[moment]:
        _hooks[moment].append(hook)


def fields_changed(moment: str, **kwargs: Any) -> list[str]:
    """Run the hooks of a moment that change the ticket; the fields they changed."""
    fields: list[str] = []
    for hook in _hooks[moment]:
        fields += hook(**kwargs)
    return fields


def announce(moment: str, **kwargs: Any) -> None:
    """Run the hooks of a moment that only react to it."""
    for hook in _hooks[moment]:
        hook(**kwargs)
