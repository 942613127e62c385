"""A user's in-app notices (the bell, /agent/notifications, /api/support/notifications),
through the filters the apps above register.

A notice names a ticket in its payload ("ticket_id"); tickets sits above notifications and
knows who may see which ticket (tickets.visibility), so it registers a filter here
(`register_inbox_filter`, from TicketsConfig.ready()) that drops the notices of tickets the
reader may not see. Notices are already written only for people who may see their ticket;
this is the second line, for a ticket that moved into a restricted team after its notice.
Emails and in-app rows about to be sent pass the same test (`withheld`, through the checks
registered with `register_send_check`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db.models import QuerySet

from notifications.models import Channel, Notification

# (queryset, user) -> the queryset narrowed to what the user may read
InboxFilter = Callable[[QuerySet[Notification], object], QuerySet[Notification]]
_filters: list[InboxFilter] = []


def register_inbox_filter(narrow: InboxFilter) -> None:
    if narrow not in _filters:
        _filters.append(narrow)


def inbox(user) -> QuerySet[Notification]:
    """The user's own in-app notices, as far as they may read them."""
    notices = Notification.objects.filter(user=user, channel=Channel.DASHBOARD)
    for narrow in _filters:
        notices = narrow(notices, user)
    return notices


# rows about to be sent -> the ids of those whose person may no longer see their ticket
SendCheck = Callable[[Sequence[Notification]], set[int]]
_send_checks: list[SendCheck] = []


def register_send_check(check: SendCheck) -> None:
    """A check run on each batch just before it is sent (tickets.visibility registers one from
    TicketsConfig.ready()): a row written for someone who may see its ticket is withheld if,
    by the time it goes out, the ticket moved into a restricted team they are not in."""
    if check not in _send_checks:
        _send_checks.append(check)


def withheld(rows: Sequence[Notification]) -> set[int]:
    """The ids among `rows` that a registered check withholds."""
    ids: set[int] = set()
    for check in _send_checks:
        ids |= check(rows)
    return ids
