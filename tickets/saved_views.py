"""Saved views: queues agents named (tickets.models.SavedView), who may see and change them,
and their counts.

A personal view is its owner's alone; a shared one is seen by every agent and made, changed
and deleted by supervisors and admins only (agents.roles.is_supervisor). A view is read
through `saved_view_for_user`, which answers 404 for anyone else's personal view, so its
existence is not told.

Counts (`saved_view_counts`) are what the queue would list for the view, under the same
visibility (tickets.selectors.tickets_for_queue: restricted teams hidden), counted with a
LIMIT: exact up to API_COUNT_LIMIT tickets, "at least that many" past it, as the API's lists
count (core.api.Pagination). An exact count of a view matching half a million tickets would
read half a million index entries on every refresh; the capped one reads at most the limit's.
A count that would still take longer than SAVED_VIEW_COUNT_BUDGET_MS (a common tag among the
open tickets: its first thousand open ones may hide among tens of thousands of closed ones) is
cancelled and answered with the planner's estimate, which the page marks as one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from agents.roles import is_supervisor
from core.rows import unprepared
from tickets import queries, selectors
from tickets.models import QUEUE_COLUMNS, SavedView

# Each refresh of the list counts every view in it: a bound on the views a person keeps
# bounds that work (and the list's length on a phone).
PERSONAL_VIEWS_MAX = 30
SHARED_VIEWS_MAX = 30
FILTER_FIELDS = ("status", "priority", "category", "assignee", "team", "tag", "search", "sort")


@dataclass(frozen=True)
class ViewCount:
    view: SavedView
    count: int
    exact: bool  # false: at least `count` tickets (the cap), maybe more
    estimated: bool = False  # the planner's estimate: counting took longer than its budget


def saved_views_for(user) -> QuerySet[SavedView]:
    """The views `user` sees: the shared ones, then their own, each list in its order."""
    if not user.is_authenticated:
        return SavedView.objects.none()
    return SavedView.objects.filter(Q(shared=True) | Q(owner=user))


def saved_view_for_user(user, pk: int | str) -> SavedView:
    """One view `user` sees, or 404 (another's personal view is not told from a missing one)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(_("No such saved view.")) from None
    view = saved_views_for(user).filter(pk=pk).first() if 0 < pk < 2**31 else None
    if view is None:
        raise Http404(_("No such saved view."))
    return view


def may_change(user, view: SavedView) -> bool:
    """A personal view is changed by its owner; a shared one by supervisors and admins."""
    if view.shared:
        return is_supervisor(user)
    return view.owner_id == user.pk


def count_capped(tickets: QuerySet, limit: int) -> tuple[int, bool]:
    """How many rows `tickets` has, reading at most `limit` + 1 of them: (the count capped at
    `limit`, whether it is exact). Only the ids are read, unordered: no ranking, sort or
    joined columns to compute."""
    # Planned for its own values every time: which index is right depends on them (a team's
    # or a priority's share of the tickets), and a generic plan, settled on after 5 runs of a
    # prepared statement, ANDed a bitmap of every active ticket for each (60-140 ms at 1M).
    with unprepared(connection):
        counted = tickets.order_by().values("pk")[: limit + 1].count()
    return min(counted, limit), counted <= limit


class CountTooSlow(Exception):
    """A count ran past its time budget (SAVED_VIEW_COUNT_BUDGET_MS) and PostgreSQL cancelled
    it: the transaction it ran in is aborted."""


def estimated_count(tickets: QuerySet) -> int:
    """The planner's estimate of how many rows `tickets` has: planning only, nothing read."""
    with unprepared(connection):
        plan = json.loads(tickets.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def view_tickets(user, view: SavedView) -> QuerySet:
    """The tickets the queue lists for `view`, as `user` may see them (unordered: to count)."""
    query = view.query()
    filters = {key: query.get(key, "") for key in ("status", "priority", "category", "assignee", "team", "tag", "sort")}
    filters["q"] = query.get("q", "")
    return selectors.queue_tickets_to_count(user=user, view=view.queue, filters=filters)


def count_view(user, view: SavedView) -> ViewCount:
    """One statement (two for a search: its candidates, then the count). Inside `counting`,
    CountTooSlow when it ran past the budget (`count_views` answers an estimate then)."""
    limit = settings.API_COUNT_LIMIT
    search = view.search.strip()
    try:
        if search and not (search.lstrip("#").isdigit() and len(search) <= 9):
            # A search reaches only the newest TICKET_SEARCH_CANDIDATES matches (tickets.search):
            # when they all count, more may match.
            limit = min(limit, settings.TICKET_SEARCH_CANDIDATES)
            count, _exact = count_capped(view_tickets(user, view), limit)
            return ViewCount(view, count, count < limit)
        count, exact = count_capped(view_tickets(user, view), limit)
        return ViewCount(view, count, exact)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == queries.QUERY_CANCELED:
            raise CountTooSlow(view.pk) from error
        raise


@contextlib.contextmanager
def counting() -> Iterator[None]:
    """A transaction for counts: without parallel workers, and each statement cancelled past
    SAVED_VIEW_COUNT_BUDGET_MS (tickets.queries.counting_settings; docs/performance.md,
    "Saved views")."""
    with transaction.atomic(), connection.cursor() as cursor:
        queries.counting_settings(cursor, settings.SAVED_VIEW_COUNT_BUDGET_MS)
        yield


def count_views(user, views: list[SavedView]) -> list[ViewCount]:
    """Each view's count, in order, in one `counting` transaction: one statement per view,
    plus the transaction's settings. A count past its budget aborts the transaction: that
    view gets the planner's estimate (planning only), and the rest are counted in a new one."""
    counted: list[ViewCount] = []
    while len(counted) < len(views):
        try:
            with counting():
                for view in views[len(counted) :]:
                    counted.append(count_view(user, view))
        except CountTooSlow:
            view = views[len(counted)]
            counted.append(ViewCount(view, estimated_count(view_tickets(user, view)), False, estimated=True))
    return counted


def saved_view_counts(user) -> list[ViewCount]:
    """Every view `user` sees with its count (`count_views`): one statement to list them,
    one for the counting transaction's settings, one per view (two for a search)."""
    views = list(saved_views_for(user))
    return count_views(user, views) if views else []


def _check_columns(columns: list[str]) -> list[str]:
    chosen = [key for key in QUEUE_COLUMNS if key in set(columns)]
    if "subject" not in chosen:
        chosen.insert(1 if "number" in chosen else 0, "subject")
    return chosen


def _check_room(user, *, shared: bool, exclude: int | None = None) -> None:
    views = SavedView.objects.filter(shared=True) if shared else SavedView.objects.filter(owner=user, shared=False)
    if exclude is not None:
        views = views.exclude(pk=exclude)
    most = SHARED_VIEWS_MAX if shared else PERSONAL_VIEWS_MAX
    if views.count() >= most:
        raise ValidationError(
            {"name": _("There are already %(most)d saved views in this list; delete one first.") % {"most": most}}
        )


def _save(view: SavedView) -> SavedView:
    """Save, telling a name already taken (by a concurrent save too) as the name's error."""
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as error:
        if "name_unique" in str(error):
            raise ValidationError({"name": _("A saved view with this name already exists.")}) from None
        raise
    return view


def saved_view_create(
    *, user, name: str, shared: bool, queue: str, filters: dict[str, str], columns: list[str]
) -> SavedView:
    """A new view of `user`'s (shared: everyone's, supervisors and admins only), last in its list.
    `filters` are the model's FILTER_FIELDS, already checked (the form's)."""
    if shared and not is_supervisor(user):
        raise PermissionDenied(_("Only supervisors and admins may share a view."))
    _check_room(user, shared=shared)
    siblings = SavedView.objects.filter(shared=True) if shared else SavedView.objects.filter(owner=user, shared=False)
    last = siblings.order_by("-position").values_list("position", flat=True).first()
    view = SavedView(
        name=name.strip(),
        shared=shared,
        owner=None if shared else user,
        created_by=user,
        queue=queue,
        columns=_check_columns(columns),
        position=min((last + 1) if last is not None else 0, 999),
        **{field: filters.get(field, "") for field in FILTER_FIELDS},
    )
    return _save(view)


def saved_view_update(
    *, user, view: SavedView, name: str, columns: list[str], position: int, shared: bool | None = None
) -> SavedView:
    """Rename, choose columns, move; a supervisor may also share their view or unshare one
    (it becomes theirs)."""
    if not may_change(user, view):
        raise PermissionDenied(_("You may not change this saved view."))
    if shared is not None and shared != view.shared:
        if not is_supervisor(user):
            raise PermissionDenied(_("Only supervisors and admins may share a view."))
        _check_room(user, shared=shared, exclude=view.pk)
        view.shared, view.owner = shared, None if shared else user
    view.name, view.columns, view.position = name.strip(), _check_columns(columns), position
    return _save(view)


def saved_view_delete(*, user, view: SavedView) -> None:
    if not may_change(user, view):
        raise PermissionDenied(_("You may not delete this saved view."))
    view.delete()
