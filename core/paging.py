"""A paginator for pages of a table that may hold a million rows."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection

from core.rows import unprepared


class CappedPaginator(Paginator):
    """Django's Paginator, counting as the API's lists count (core.api.Pagination): with a
    LIMIT, exact up to API_COUNT_LIMIT rows; past it the count is the limit, `exact` is false
    and the pages reach that far. An exact count of a million-row queue reads every matching
    index entry on every page view and refresh."""

    @cached_property
    def counted(self) -> int:
        """Rows, reading no more than one past the limit (only ids, unordered)."""
        with unprepared(connection):  # planned for its filters' values (tickets.saved_views.count_capped)
            return self.object_list.order_by().values("pk")[: settings.API_COUNT_LIMIT + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, settings.API_COUNT_LIMIT)

    @property
    def exact(self) -> bool:
        return self.counted <= settings.API_COUNT_LIMIT
