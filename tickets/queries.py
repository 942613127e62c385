"""Tickets' hand-written SQL: each statement the ORM cannot say well (or says too slowly
for the request that runs it), with the function that runs it. Every one that has an ORM
equivalent is checked against it in tickets/tests/test_queries.py.

- `read_lists` / `read_messages`: a page's tags and own attachments, a ticket's messages
  and their attachments, one plain statement each for the whole batch (Django's
  prefetch_related cost 3 ms of CPU per list page, docs/performance.md).
- `ticket_by_id` / `ticket_row`: one ticket with its related rows by one LEFT JOIN,
  written once per process (the ORM compiled it on every request).
- `refresh_search_vector` and `newest_match_ids`: the search vector's upkeep and the
  newest tickets matching a search, found the cheap way for the words' frequency.
- `IsAnyOf`: `column = ANY(ids)`, for a search's candidate ids (tickets and knowledge).
- `count_up_to`: a correlated count that stops at a cap (an agent's open load,
  tickets.assignment.open_load).
- `merge_tag_links`: a tag merged into another on every ticket at once, with a history line
  per ticket (tickets.tags.tag_merge).
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection, connections
from django.db.models import IntegerField, Lookup, QuerySet, Subquery

from core.rows import columns, joined, select_in, unprepared
from tickets.models import Attachment, Message, Tag, Ticket

# --- lists and messages -----------------------------------------------------------


def read_lists(tickets: list[Ticket], using: str) -> None:
    by_id = {ticket.pk: ticket for ticket in tickets}
    for ticket in tickets:
        ticket.tag_list, ticket.own_attachment_list = [], []
    connection = connections[using]
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(by_id))
    through = Ticket.tags.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tt.ticket_id, tag.id, tag.name FROM {quote(through)} AS tt "  # noqa: S608  # nosec B608
            f"JOIN {quote(Tag._meta.db_table)} AS tag ON tag.id = tt.tag_id "
            f"WHERE tt.ticket_id IN ({marks}) ORDER BY tag.name, tag.id",
            list(by_id),
        )
        for ticket_id, tag_id, name in cursor.fetchall():
            by_id[ticket_id].tag_list.append(Tag(id=tag_id, name=name))
        for attachment in select_in(Attachment, cursor, "ticket_id", by_id, also=" AND message_id IS NULL"):
            by_id[attachment.ticket_id].own_attachment_list.append(attachment)


def read_messages(tickets: list[Ticket], using: str, *, internal: bool) -> None:
    by_id = {ticket.pk: ticket for ticket in tickets}
    for ticket in tickets:
        ticket.message_list = []
    public_only = "" if internal else " AND NOT internal"
    with connections[using].cursor() as cursor:
        messages = select_in(Message, cursor, "ticket_id", by_id, also=public_only, order="created_at, id")
        if not messages:
            return
        by_message = {message.pk: message for message in messages}
        for message in messages:
            message.attachment_list = []
            by_id[message.ticket_id].message_list.append(message)
        for attachment in select_in(Attachment, cursor, "message_id", by_message):
            by_message[attachment.message_id].attachment_list.append(attachment)


# --- id lists -------------------------------------------------------------------


class IsAnyOf(Lookup):
    """`column = ANY(ids)`, the ids given as a Python list of ints.

    An IN list of 2,000 ids is planned value by value (5 ms of planning); one array is read
    once and, walking the newest-first index for a page, looked up through a hash. The array
    is written as one text parameter: preparing 2,000 values one by one through a model
    field costs Django 6 ms a query."""

    lookup_name = "is_any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = "{" + ",".join(map(str, map(int, self.rhs))) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]


# --- counts -----------------------------------------------------------------------


class _CountOf(Subquery):
    """COUNT(*) of a subquery's rows (always a number: 0 for none)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def count_up_to(rows: QuerySet, up_to: int | None = None) -> Subquery:
    """How many `rows` (a values() queryset, correlated through OuterRef or not) there are,
    as an expression; with `up_to`, counting no further than that: the subquery is read at
    most `up_to` rows deep. The ORM's Count cannot count a sliced subquery."""
    return _CountOf(rows if up_to is None else rows[:up_to])


# --- one ticket ------------------------------------------------------------------


def ticket_by_id(fields: list, related: dict[str, tuple[str, ...] | None]) -> tuple[str, list, list]:
    """SQL reading a ticket's `fields` by id and, through a LEFT JOIN for each foreign key
    named in `related`, those attributes of the related row (None: all of them); with the
    parts it splits into (core.rows.joined) and the foreign keys, in select order."""
    quote = connection.ops.quote_name
    selected, joins, parts, keys = [columns(Ticket, connection, "t", fields)], [], [(Ticket, fields)], []
    for position, (name, attributes) in enumerate(related.items()):
        key = Ticket._meta.get_field(name)
        model, alias = key.related_model, f"r{position}"
        chosen = [f for f in model._meta.concrete_fields if attributes is None or f.attname in attributes]
        selected.append(columns(model, connection, alias, chosen))
        joins.append(
            f"LEFT JOIN {quote(model._meta.db_table)} AS {alias} "
            f"ON {alias}.{quote(model._meta.pk.column)} = t.{quote(key.column)}"
        )
        parts.append((model, chosen))
        keys.append(key)
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(Ticket._meta.db_table)} AS t "  # noqa: S608  # nosec B608
        f"{' '.join(joins)} WHERE t.id = %s"
    )
    return sql, parts, keys


def ticket_row(statement: tuple[str, list, list], ticket_id: int) -> Ticket | None:
    """Ticket `ticket_id` as `statement` (from ticket_by_id) reads it, its related rows
    cached on it; None when there is no such ticket."""
    sql, parts, keys = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id])
        row = cursor.fetchone()
    if row is None:
        return None
    ticket, *related = joined(connection, row, parts)
    for key, instance in zip(keys, related, strict=True):
        key.set_cached_value(ticket, instance)
    return ticket


# --- search -----------------------------------------------------------------------

SEARCH_CONFIG = "english"  # also spelled out in _REFRESH_SQL

_REFRESH_SQL = """
UPDATE tickets_ticket AS t SET search_vector = (SELECT v || helpdesk_code_pairs(v) FROM (SELECT
    setweight(to_tsvector('english', coalesce(t.subject, '')), 'A')
 || setweight(to_tsvector('english', coalesce(t.description, '')), 'B')
 || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(m.body, ' ') FROM tickets_message AS m
        WHERE m.ticket_id = t.id AND NOT m.internal), '')), 'C') AS v) AS vector)
WHERE t.id = ANY(%s)
"""

# How newest_match_ids picks its way (see there). Walking the newest-first index reads every
# ticket it passes (about 1 us each from memory); the GIN index hands over the matches
# without reading the others, but pays for each match it lists, and a phrase ("Nimbus-7" is
# 'nimbus' <-> '-7') lists every ticket holding both words, adjacent or not.
PROBE_ROWS_PER_CANDIDATE = 2  # the first walk reads at most 2 tickets per candidate sought
DENSE_SHARE = 0.07  # matches at least this share of the tickets walked: keep walking
MARGIN = 1.3  # a further walk or a window holds 1.3 times the tickets expected to be needed
MAX_WALKS = 3
MAX_WINDOWS = 2
# Nothing matched among the tickets read so far: the next window spans this many times as
# many. A word common once but absent from the newest tickets (a retired product, a burst
# of alerts from an integration pushing the rest back) would otherwise go straight to every
# older match through the GIN index: 560,000 matches sorted by age, 0.7 s at a million.
UNSEEN_GROWTH = 10

# A walk: at most %(rows)s tickets newest first (the inner LIMIT leaves the planner no other
# way than the newest-first index, however rare it believes the words are), the matches
# among them, and the last ticket read, which is where the next step starts.
_WALK = """
SELECT ARRAY(
    SELECT id FROM (
        SELECT id, created_at, search_vector, team_id FROM tickets_ticket
        WHERE (created_at, id) < (%(before_at)s, %(before_id)s)
        ORDER BY created_at DESC, id DESC LIMIT %(rows)s
    ) AS recent
    WHERE search_vector @@ {match} AND {visible}
    ORDER BY created_at DESC, id DESC LIMIT %(need)s
), last.created_at, last.id
FROM (SELECT) AS one LEFT JOIN LATERAL (
    SELECT id, created_at FROM tickets_ticket
    WHERE (created_at, id) < (%(before_at)s, %(before_id)s)
    ORDER BY created_at DESC, id DESC OFFSET %(last)s LIMIT 1
) AS last ON true
"""
# The GIN index: every match older than the position. In a window (no older than
# %(since)s) the created_at index narrows the GIN matches down before any ticket is read.
# MATERIALIZED keeps the planner from turning either back into a walk.
_GIN = """
WITH matches AS MATERIALIZED (
    SELECT id, created_at FROM tickets_ticket
    WHERE search_vector @@ {match} AND {visible}
    AND (created_at, id) < (%(before_at)s, %(before_id)s){window}
)
SELECT id FROM matches ORDER BY created_at DESC, id DESC LIMIT %(need)s
"""
# A product or error code ("Nimbus-7", "error-404") is the phrase 'nimbus' <-> '-7', and each
# of its words alone can be common (at a million tickets 'nimbus' is in 467,000, '-7' in
# 88,000): the GIN index lists every ticket holding both, adjacent or not, and each is read
# to check the phrase. So each vector also carries every such adjacent pair as one lexeme,
# 'nimbus -7' (helpdesk_code_pairs, migration 0012: a word not starting with a digit, then
# a signed number), and a search whose every match must hold such a phrase asks for the
# pair instead (code_query): the GIN index then lists exactly the tickets holding the code.
# Which tickets match does not change (the pair is in a vector exactly when the phrase
# matches it), nor their rank (ranked by the query as written).
_MATCH = "websearch_to_tsquery(%(config)s::regconfig, %(text)s)"
# The searcher's restricted teams (tickets.visibility.hidden_team_ids) are left out of the
# candidates, so their matches never take a place the searcher's own would have had.
_VISIBLE = "(team_id IS NULL OR NOT team_id = ANY(%(hidden)s::bigint[]))"
_MATCH_WITH_PAIRS = "%(coded)s::tsquery"
_STATEMENTS = {
    paired: {
        "walk": _WALK.format(match=match, visible=_VISIBLE),
        "window": _GIN.format(match=match, visible=_VISIBLE, window=" AND created_at >= %(since)s"),
        "all": _GIN.format(match=match, visible=_VISIBLE, window=""),
    }
    for paired, match in ((False, _MATCH), (True, _MATCH_WITH_PAIRS))
}
_MAY_HOLD_A_CODE = re.compile(r"[^\s-]-[0-9]")
_LEXEME = r"'(?:[^'\\]|'')*'"
_PHRASE = re.compile(rf"{_LEXEME}(?: <-> {_LEXEME})+")
_NUMBER = re.compile(r"-?[0-9]")
_SIGNED_NUMBER = re.compile(r"-[0-9]+")
_CREATED_AT_HISTOGRAM = """
SELECT c.reltuples, s.histogram_bounds::text::timestamptz[]
FROM pg_class AS c
LEFT JOIN pg_stats AS s ON s.schemaname = current_schema() AND s.tablename = c.relname AND s.attname = 'created_at'
WHERE c.oid = 'tickets_ticket'::regclass
"""
_NEWEST = (datetime.max.replace(tzinfo=UTC), 0)  # a position before every ticket, newest first


def refresh_search_vector(ticket_ids: Iterable[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL, [list(ticket_ids)])


def newest_match_ids(text: str, limit: int, *, hidden: Iterable[int] = ()) -> list[int]:
    """Ids of the `limit` newest tickets matching `text` (websearch syntax), newest first,
    leaving out the tickets of the teams `hidden` (the searcher's restricted teams).

    Which way is cheap depends on how many tickets match, which the planner can only guess
    (it guesses a phrase such as "Nimbus-7" as common as its words together: 3 times too
    common). So the share of matches is measured instead:
    1. Walk the newest 2 x `limit` tickets. A common word is done here.
    2. While the matches are dense (>= DENSE_SHARE of the tickets walked), walk on, as far
       as the share says the missing ones lie (with MARGIN), starting after the last ticket
       read.
    3. Sparse: ask the GIN index for the matches in a window of created_at that should
       hold the missing ones (the share and the column's histogram say how far back, with
       MARGIN; with no match yet, UNSEEN_GROWTH times as far back as read so far).
    4. Still missing some (or no share or histogram to size a window by): every older match
       through the GIN index.
    Every step reads tickets strictly older than the previous step's, so the matches found
    are the newest whatever the estimates were; those only decide the cost.
    """
    found: list[int] = []
    before: tuple[datetime, int] | None = _NEWEST
    walked = walked_hits = 0
    # Which plan is right depends on the words (unprepared): never one plan for all of them.
    with unprepared(connection), connection.cursor() as cursor:
        coded = _code_query(cursor, text)
        text_query = {"config": SEARCH_CONFIG, "text": text, "coded": coded, "hidden": sorted(hidden)}
        statements = _STATEMENTS[bool(coded)]
        rows = limit * PROBE_ROWS_PER_CANDIDATE
        for _ in range(MAX_WALKS):
            hits, before = _walk(cursor, statements, text_query, before, rows=rows, need=limit - len(found))
            found += hits
            walked, walked_hits = walked + rows, walked_hits + len(hits)
            if len(found) >= limit or before is None:
                return found
            share = walked_hits / walked
            if share < DENSE_SHARE:
                break
            rows = math.ceil((limit - len(found)) / share * MARGIN)
        window = 0.0
        for _ in range(MAX_WINDOWS):
            # With no match yet there is no share to size by: UNSEEN_GROWTH times further back.
            window = (limit - len(found)) / share * MARGIN if share else (window or walked) * UNSEEN_GROWTH
            since = _window_start(cursor, before[0], window)
            if since is None:
                break
            hits = _gin(cursor, statements["window"], text_query, before, limit - len(found), since=since)
            found += hits
            if len(found) >= limit:
                return found
            before = (since, 0)  # ids start at 1: just older than anything created at `since`
            share = len(hits) / window  # the window was about this large
        found += _gin(cursor, statements["all"], text_query, before, limit - len(found))
    return found


def _code_query(cursor, text: str) -> str:
    """`text` as a tsquery with its codes as pairs (code_query), '' when it holds none."""
    if not _MAY_HOLD_A_CODE.search(text):
        return ""
    cursor.execute(f"SELECT {_MATCH}::text", {"config": SEARCH_CONFIG, "text": text})
    return code_query(cursor.fetchone()[0])


def code_query(tsquery: str) -> str:
    """The same query with its codes as pairs (see helpdesk_code_pairs), '' when it has none.

    Only phrases every match must hold count: whole operands of the top-level AND (not under
    an OR or a NOT). A phrase that is just the code (`'a' <-> '-7'`) becomes its pair
    (`'a -7'`): the same tickets match, and the GIN index answers it without reading a
    ticket to check positions. A longer phrase stays, ANDed with its pairs."""
    operands, pairs, replaced = [], [], False
    for operand in _top_level_and_operands(tsquery):
        found = []
        if _PHRASE.fullmatch(operand):
            lexemes = [lexeme[1:-1].replace("''", "'") for lexeme in re.findall(_LEXEME, operand)]
            for first, second in itertools.pairwise(lexemes):
                if _SIGNED_NUMBER.fullmatch(second) and not _NUMBER.match(first):
                    found.append("'" + f"{first} {second}".replace("'", "''") + "'")
        if found and len(found) == operand.count(" <-> ") == 1:
            operands += found
            replaced = True
        else:
            operands.append(operand)
            pairs += found
    if not (replaced or pairs):
        return ""
    return " & ".join(dict.fromkeys(operands + pairs))


def _top_level_and_operands(tsquery: str) -> list[str]:
    """The operands of the outermost AND of a tsquery's text (the whole query if its top
    operator is another); a lexeme is quoted, with '' for a quote inside it."""
    operands, start, depth, quoted = [], 0, 0, False
    for position, char in enumerate(tsquery):
        if char == "'":
            quoted = not quoted  # '' inside a lexeme toggles twice
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return [tsquery.strip()]  # OR binds looser than AND: the query is an OR
        elif char == "&" and depth == 0:
            operands.append(tsquery[start:position].strip())
            start = position + 1
    return [*operands, tsquery[start:].strip()]


def _walk(
    cursor, statements: dict, text_query: dict, before: tuple, *, rows: int, need: int
) -> tuple[list[int], tuple | None]:
    """Matches among the next `rows` tickets older than `before`, and the last of those
    (None when fewer remain: the walk reached the oldest ticket)."""
    position = {"before_at": before[0], "before_id": before[1]}
    cursor.execute(statements["walk"], {**text_query, **position, "rows": rows, "need": need, "last": rows - 1})
    hits, last_at, last_id = cursor.fetchone()
    return hits, (last_at, last_id) if last_id is not None else None


def _gin(cursor, sql: str, text_query: dict, before: tuple, need: int, *, since: datetime | None = None) -> list[int]:
    position = {"before_at": before[0], "before_id": before[1]}
    cursor.execute(sql, {**text_query, **position, "need": need, "since": since})
    return [ticket_id for (ticket_id,) in cursor.fetchall()]


def _window_start(cursor, before: datetime, rows: float) -> datetime | None:
    """The created_at about `rows` tickets older than `before`, read off the column's
    histogram (each bucket holds about as many tickets as the next); None when there are no
    statistics yet or the window would reach back to the oldest tickets anyway."""
    cursor.execute(_CREATED_AT_HISTOGRAM)
    row = cursor.fetchone()
    if row is None or not row[1] or len(row[1]) < 2 or row[0] <= 0:
        return None
    total, bounds = row
    buckets = len(bounds) - 1
    # Where `before` lies, in buckets from the oldest bound (tickets newer than the last
    # ANALYZE lie past the end: they are all in the window anyway).
    upper = bisect.bisect_left(bounds, before)
    if upper > buckets:
        position = float(buckets)
    elif upper == 0:
        return None
    else:
        low, high = bounds[upper - 1], bounds[upper]
        position = upper - 1 + (before - low) / (high - low)
    position -= rows * buckets / total
    if position <= 0:
        return None
    bucket = int(position)
    return bounds[bucket] + (bounds[bucket + 1] - bounds[bucket]) * (position - bucket)


# For an export's transaction only (workspace.export), which reads every row its cursor
# finds: jit off (the estimates of ~100k rows are far above jit_above_cost, and compiling
# the statement took 5 s of a 7.8 s execution at a million tickets), and the plan chosen
# for reading every row, not the first tenth (a cursor's default, which favours walking an
# index in the queue's order over the whole table).
_EXPORT_SETTINGS = "SELECT set_config('jit', 'off', true), set_config('cursor_tuple_fraction', '1.0', true)"


def export_settings(cursor) -> None:
    """Set the caller's transaction up for a cursor that reads all its rows (_EXPORT_SETTINGS)."""
    cursor.execute(_EXPORT_SETTINGS)


# For a transaction of counts (tickets.saved_views.counting): no parallel workers (a count
# reads at most API_COUNT_LIMIT + 1 rows, and starting two workers for it took 20-180 ms on a
# busy two-core host), and each statement cancelled past the budget (SQLSTATE 57014) rather
# than waited for.
_COUNTING_SETTINGS = (
    "SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('statement_timeout', %s, true)"
)
QUERY_CANCELED = "57014"


def counting_settings(cursor, budget_ms: int) -> None:
    """Set the caller's transaction up for counts of at most `budget_ms` each (0: no limit)."""
    cursor.execute(_COUNTING_SETTINGS, [f"{int(budget_ms)}ms"])


# --- tags -------------------------------------------------------------------------------

# A tag merged into another (tickets.tags.tag_merge), in one statement whatever the number of
# tickets: every CTE reads the snapshot from before the statement, so `before` sees the
# tickets' tags as they were and the history line says "old → new" for each ticket. Names
# are ordered COLLATE "C" (code points), as Python's sorted() orders them in
# tickets.services.ticket_update's history lines. A ticket that had both tags keeps one.
_MERGE_TAG_SQL = """
WITH affected AS MATERIALIZED (
    SELECT ticket_id FROM tickets_ticket_tags WHERE tag_id = %(source)s
),
tag_lists AS (
    SELECT ticket_id,
        string_agg(name, ', ' ORDER BY name) AS old_names,
        string_agg(DISTINCT new_name, ', ' ORDER BY new_name) AS new_names
    FROM (
        SELECT tt.ticket_id, tag.name COLLATE "C" AS name,
            (CASE WHEN tt.tag_id = %(source)s THEN %(target_name)s ELSE tag.name END) COLLATE "C" AS new_name
        FROM tickets_ticket_tags AS tt JOIN tickets_tag AS tag ON tag.id = tt.tag_id
        WHERE tt.ticket_id IN (SELECT ticket_id FROM affected)
    ) AS named
    GROUP BY ticket_id
),
added AS (
    INSERT INTO tickets_ticket_tags (ticket_id, tag_id)
    SELECT ticket_id, %(target)s FROM affected
    ON CONFLICT (ticket_id, tag_id) DO NOTHING
),
removed AS (
    DELETE FROM tickets_ticket_tags WHERE tag_id = %(source)s
),
touched AS (
    UPDATE tickets_ticket SET updated_at = %(now)s WHERE id IN (SELECT ticket_id FROM affected)
)
INSERT INTO tickets_ticketevent
    (ticket_id, kind, actor_type, actor_user_id, actor_name, old_value, new_value, created_at)
SELECT ticket_id, %(kind)s, %(actor_type)s, %(actor_user)s, %(actor_name)s, old_names, new_names, %(now)s
FROM tag_lists
"""


def merge_tag_links(
    *,
    source: Tag,
    target: Tag,
    kind: str,
    actor_type: str,
    actor_user_id: int | None,
    actor_name: str,
    now: datetime,
    lock_timeout: str = "0",
) -> int:
    """Move every ticket tagged `source` to `target` (no duplicates), mark the tickets updated
    at `now` and write each one's history line of `kind`. Returns how many tickets it moved.
    `lock_timeout` (PostgreSQL's, e.g. "5s") holds for the rest of the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        cursor.execute(
            _MERGE_TAG_SQL,
            {
                "source": source.pk,
                "target": target.pk,
                "target_name": target.name,
                "kind": kind,
                "actor_type": actor_type,
                "actor_user": actor_user_id,
                "actor_name": actor_name[:255],
                "now": now,
            },
        )
        return cursor.rowcount
