"""Ticket search: PostgreSQL full text with ranking, a word-by-word fallback on SQLite.

On PostgreSQL each ticket carries a weighted tsvector (subject A, description B, public
messages C) in `search_vector`, GIN-indexed; it is rebuilt by `refresh_search_vector`
whenever the ticket's text or its public conversation changes. Internal notes are left
out so a search cannot reveal what a note says to someone who may not read notes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

from tickets.models import Message, Ticket

SEARCH_CONFIG = "english"  # also spelled out in _REFRESH_SQL

_REFRESH_SQL = """
UPDATE tickets_ticket AS t SET search_vector =
    setweight(to_tsvector('english', coalesce(t.subject, '')), 'A')
 || setweight(to_tsvector('english', coalesce(t.description, '')), 'B')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(m.body, ' ') FROM tickets_message AS m
        WHERE m.ticket_id = t.id AND NOT m.internal), '')), 'C')
WHERE t.id = ANY(%s)
"""


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def refresh_search_vector(ticket_ids: Iterable[int]) -> None:
    if not uses_full_text():
        return
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [list(ticket_ids)])


def search_tickets(queryset: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """Tickets matching every word of `text`, best match first on PostgreSQL."""
    text = text.strip()
    if not text:
        return queryset
    if uses_full_text():
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        # A common word matches a large share of a big helpdesk's tickets; ranking all of them
        # would read every match. Rank the newest SEARCH_CANDIDATES matches instead: found
        # through the GIN index (rare words) or the newest-first index (common words).
        newest = (
            Ticket.objects.filter(search_vector=query)
            .order_by("-created_at", "-id")
            .values("pk")[: settings.TICKET_SEARCH_CANDIDATES]
        )
        return (
            queryset.filter(pk__in=newest)
            .annotate(search_rank=SearchRank(F("search_vector"), query))
            .order_by("-search_rank", "-created_at", "-id")
        )
    # SQLite: every word somewhere, compared in lower case by Python (see helpdesk.apps).
    for word in text.lower().split():
        in_ticket = Ticket.objects.annotate(
            _text=Func(
                Concat(F("subject"), Value(" "), F("description"), output_field=TextField()),
                function="PY_LOWER",
                output_field=TextField(),
            )
        ).filter(_text__contains=word)
        in_replies = Message.objects.annotate(
            _body=Func(F("body"), function="PY_LOWER", output_field=TextField())
        ).filter(internal=False, _body__contains=word)
        queryset = queryset.filter(Q(pk__in=in_ticket.values("pk")) | Q(pk__in=in_replies.values("ticket_id")))
    return queryset
