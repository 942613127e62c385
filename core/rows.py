"""Model instances from rows of a plain SQL statement, converted as the ORM converts them.

For the few hot reads written as plain statements (token lookup, a page's tags, attachments
and messages): the ORM would compile the same query on every request. The database's
values still pass through the converters the ORM applies (a JSON or decimal column, for one),
so the instances are those a queryset builds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator


def columns(model, connection, alias: str = "", fields=None) -> str:
    """The model's columns (`fields`, default every concrete one), quoted, in the order
    `instances` reads them."""
    prefix = f"{alias}." if alias else ""
    fields = model._meta.concrete_fields if fields is None else fields
    return ", ".join(prefix + connection.ops.quote_name(field.column) for field in fields)


def instances(model, connection, rows: Iterable, fields=None) -> list:
    """Rows of `fields` (default: every concrete column, in `columns`' order; a subset must
    keep that order, the others are deferred) as instances of `model`."""
    fields = model._meta.concrete_fields if fields is None else fields
    names, converters = _reading(model, connection, tuple(fields))
    built = []
    for row in rows:
        if converters:
            row = list(row)
            for position, column, functions in converters:
                value = row[position]
                for function in functions:
                    value = function(value, column, connection)
                row[position] = value
        built.append(model.from_db(connection.alias, names, row))
    return built


def _reading(model, connection, fields: tuple) -> tuple[list[str], list]:
    """The attribute names of `fields` and the converters of their columns, worked out once
    per connection (looking them up field by field was most of a token lookup's CPU)."""
    known = connection.__dict__.setdefault("_helpdesk_rows_reading", {})
    reading = known.get((model, fields))
    if reading is None:
        converters = []
        for position, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters.append((position, column, functions))
        reading = known[(model, fields)] = ([field.attname for field in fields], converters)
    return reading


def joined(connection, row, parts) -> list:
    """One row selected as `columns` of several models, one after another, split into an
    instance of each: `parts` is (model, fields or None) in select order. A model whose
    primary key is NULL (a LEFT JOIN that found nothing) gives None."""
    built, start = [], 0
    for model, fields in parts:
        fields = model._meta.concrete_fields if fields is None else fields
        values = row[start : start + len(fields)]
        start += len(fields)
        built.append(instances(model, connection, [values], fields)[0] if values[0] is not None else None)
    return built


def select_in(model, cursor, column: str, ids, *, also: str = "", order: str = "id") -> list:
    """Instances of `model` whose `column` is one of `ids` (and `also`, a further condition
    of the code's own), in `order`: one statement."""
    connection = cursor.db
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(
        f"SELECT {columns(model, connection)} FROM {table} "  # noqa: S608  # nosec B608
        f"WHERE {column} IN ({marks}){also} ORDER BY {order}",
        list(ids),
    )
    return instances(model, connection, cursor.fetchall())


@contextlib.contextmanager
def unprepared(connection) -> Iterator[None]:
    """Statements run inside are planned for their own parameters every time.

    With server-side binding (DATABASE_SERVER_SIDE_BINDING) psycopg prepares a statement run
    5 times on a connection, and PostgreSQL may then settle on one generic plan for every
    parameter. That is right for a lookup by key, and wrong for a statement whose best plan
    depends on its values: a full-text match walks the newest tickets for a common word and
    asks the GIN index for a rare one, and a generic plan that walks took a second for a rare
    word. Such statements run here, never prepared (PostgreSQL plans an unnamed statement
    with its values)."""
    connection.ensure_connection()
    raw = connection.connection
    if not hasattr(raw, "prepare_threshold"):
        yield
        return
    threshold, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold
