"""A user's in-app notices (the bell, /agent/notifications, /api/support/notifications),
through the filters the apps above register.

A notice names a ticket in its payload ("ticket_id"); tickets sits above notifications and
knows who may see which ticket (tickets.visibility), so it registers a filter here
(`register_inbox_filter`, from TicketsConfig.ready()) that drops the notices of tickets the
reader may not see. Notices are already written only for people who may see their ticket;
this is the second line, for a ticket that moved into a restricted team after its notice.
"""

from __future__ import annotations

from collections.abc import Callable

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
