"""The seam through which customers' API shows a profile's (or an organisation's) tickets:
tickets registers `ticket_summary` in TicketsConfig.ready (customers sits below tickets).

`ticket_summary(user=, customer=None, organization=None)` answers a TicketSummary of the
tickets `user` may see (restricted teams' visibility applies): how many are open, how many
there are, and the newest few.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypedDict

NEWEST = 5  # tickets shown with a profile


class TicketBrief(TypedDict):
    id: int
    number: str
    subject: str
    status: str
    priority: str
    created_at: datetime


class TicketSummary(TypedDict):
    open: int
    total: int
    newest: list[TicketBrief]


_summary: list[Callable[..., TicketSummary]] = []


def register_ticket_summary(summary: Callable[..., TicketSummary]) -> None:
    _summary[:] = [summary]


def ticket_summary(*, user, customer=None, organization=None) -> TicketSummary:
    if not _summary:
        raise RuntimeError("No ticket summary is registered (TicketsConfig.ready registers one).")
    return _summary[0](user=user, customer=customer, organization=organization)
