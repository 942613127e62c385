"""The queue as a CSV file: any view, its filters and its order, streamed.

1. The view, filters and order are read from the query string exactly as the queue page
   reads them (`workspace.criteria.queue_criteria`), and the tickets come from the same selector
   (tickets.selectors.tickets_for_queue), so the file holds what the page lists: the same
   restricted teams hidden.
2. Only the exported columns are read (`values_list`), the tags aggregated in the database
   (an array subquery per row, not a statement per row), through a server-side cursor in
   chunks of CHUNK rows, in a transaction of its own with JIT off (tickets.queries'
   export_settings): memory stays flat however many tickets match.
3. Rows are written with the csv module into a small buffer and sent in batches of CHUNK
   rows: UTF-8 with a byte-order mark (Excel then reads Cyrillic right), a translated header
   row, times in ISO 8601 in UTC (a file is read in other time zones and by programs),
   labels of statuses, priorities and channels in the agent's language.
4. A cell of the customer's or an agent's text starting with = + - @, a tab or a carriage
   return gets a leading apostrophe: a spreadsheet would otherwise run it as a formula
   (CSV injection).
5. One export at a time per agent (a cache lock released when the file ends or the client
   goes away): a second one is refused with 429 rather than doubling the load.

No XLSX: an XLSX file is a zip archive whose directory comes last, so no library can send
its first byte before the last row is read (XlsxWriter's constant-memory mode still writes a
temporary file first); a CSV streams from the first row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import OuterRef
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agents.decorators import agent_required
from tickets import queries, selectors
from tickets.models import Channel, Priority, Status, Ticket
from workspace.criteria import queue_criteria

CHUNK = 2000  # rows per fetch from the server-side cursor, and per piece of the response
LOCK_SECONDS = 600  # a lost lock (a killed worker) frees itself after this
COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "category__name",
    "team__name",
    "assigned_agent__name",
    "customer_name",
    "customer_email",
    "customer__organization__name",
    "channel",
    "tag_names",
    "created_at",
    "updated_at",
    "first_response_due_at",
    "resolution_due_at",
    "resolved_at",
    "closed_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_rows(*, user, view: str, filters: dict) -> Iterator[tuple]:
    """The queue's tickets as tuples of COLUMNS, read through a server-side cursor in a
    transaction of its own: the cursor then streams (outside one, a cursor is declared WITH
    HOLD and PostgreSQL materialises the whole result before the first row)."""
    tag_names = ArraySubquery(
        Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk")).order_by("tag__name").values("tag__name")
    )
    tickets = selectors.tickets_for_queue(user=user, view=view, filters=filters)
    rows = tickets.annotate(tag_names=tag_names).values_list(*COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        queries.export_settings(cursor)
        yield from rows.iterator(chunk_size=CHUNK)


def safe_cell(text: str | None) -> str:
    """Text a person wrote, as a cell no spreadsheet runs as a formula."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _time(moment: datetime | None) -> str:
    # isoformat, not strftime: a seventh of the cost, and 600,000 of them in a 100k export.
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z" if moment else ""


def header() -> list[str]:
    # Translators: the header row of the queue's CSV export; times are in UTC.
    return [
        _("Number"),
        _("Subject"),
        _("Status"),
        _("Priority"),
        _("Category"),
        _("Team"),
        _("Assignee"),
        _("Customer name"),
        _("Customer email"),
        _("Organisation"),
        _("Channel"),
        _("Tags"),
        _("Created (UTC)"),
        _("Updated (UTC)"),
        _("First response due (UTC)"),
        _("Resolution due (UTC)"),
        _("Resolved (UTC)"),
        _("Closed (UTC)"),
    ]


class _Line:
    """A file-like object that hands back what csv.writer writes to it."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterator[tuple], *, header_row: list[str], labels: dict[str, dict[str, str]]) -> Iterator[str]:
    """The file, a piece of up to CHUNK rows at a time. `labels` are read before streaming
    starts: the agent's language is active only while the view runs, not while the server
    reads the response."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header_row)
    status, priority, channel = labels["status"], labels["priority"], labels["channel"]
    piece = []
    for row in rows:
        (number, subject, state, rank, category, team, assignee, name, email, organisation, way, tags, *times) = row
        piece.append(
            writer.writerow(
                (
                    number,
                    safe_cell(subject),
                    status.get(state, state),
                    priority.get(rank, rank),
                    safe_cell(category),
                    safe_cell(team),
                    safe_cell(assignee),
                    safe_cell(name),
                    safe_cell(email),
                    safe_cell(organisation),
                    channel.get(way, way),
                    safe_cell(", ".join(tags or ())),
                    *(_time(moment) for moment in times),
                )
            )
        )
        if len(piece) >= CHUNK:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


class _Locked:
    """The file's pieces, and the agent's export lock released when the response is closed:
    after the last piece, or when the client went away (even before the first piece, when
    a generator's own `finally` would never run)."""

    def __init__(self, lines: Iterator[str], key: str) -> None:
        self.lines, self.key = lines, key

    def __iter__(self) -> Iterator[str]:
        return self.lines

    def close(self) -> None:
        self.lines.close()
        cache.delete(self.key)


@require_GET
@agent_required
def queue_export(request: HttpRequest) -> HttpResponse:
    view, filters = queue_criteria(request.GET, request.user)
    key = f"queue-export:{request.user.pk}"
    # False: the key is there, an export runs. None: the cache is down (its errors are
    # ignored, settings.CACHES), and the export goes ahead rather than being refused.
    if cache.add(key, 1, LOCK_SECONDS) is False:
        return HttpResponse(
            _("An export of yours is still running; try again when it has finished."),
            status=429,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "10"},
        )
    labels = {
        "status": {value: str(label) for value, label in Status.choices},
        "priority": {value: str(label) for value, label in Priority.choices},
        "channel": {value: str(label) for value, label in Channel.choices},
    }
    rows = export_rows(user=request.user, view=view, filters=filters)
    lines = csv_lines(rows, header_row=header(), labels=labels)
    name = f"tickets-{view}-{timezone.localdate():%Y-%m-%d}.csv"  # the date in the agent's zone
    response = StreamingHttpResponse(_Locked(lines, key), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
