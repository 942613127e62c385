"""Ticket search: PostgreSQL full text with ranking.

Each ticket carries a weighted tsvector (subject A, description B, public
messages C) in `search_vector`, GIN-indexed; it is rebuilt by `refresh_search_vector`
whenever the ticket's text or its public conversation changes. Internal notes are left
out so a search cannot reveal what a note says to someone who may not read notes.

A common word matches a large share of a big helpdesk's tickets, and ranking every match
would read them all: search ranks the newest TICKET_SEARCH_CANDIDATES matches only
(newest by created_at, then id), found by `newest_match_ids`.

The statements that find the candidates and keep the vector current live in
tickets.queries (`newest_match_ids`, `refresh_search_vector`; its docstrings explain the
walk, the GIN windows and their thresholds).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, QuerySet

from tickets.models import Ticket
from tickets.queries import SEARCH_CONFIG, IsAnyOf, newest_match_ids


def search_tickets(queryset: QuerySet[Ticket], text: str, *, hidden: Iterable[int] = ()) -> QuerySet[Ticket]:
    """Tickets matching every word of `text`, best match first.

    Only the newest TICKET_SEARCH_CANDIDATES matches among the tickets not of a `hidden`
    team (the searcher's, tickets.visibility) take part (then `queryset`'s own filters
    apply), ranked by ts_rank, ties newest first.
    """
    text = text.strip()
    if not text:
        return queryset
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    # The candidates are read once, here: the page and the paginator's count then both
    # look up these ids instead of finding the newest matches twice.
    candidates = newest_match_ids(text, settings.TICKET_SEARCH_CANDIDATES, hidden=hidden)
    return (
        queryset.filter(IsAnyOf(F("pk"), candidates))
        .annotate(search_rank=SearchRank(F("search_vector"), query))
        .order_by("-search_rank", "-created_at", "-id")
    )
