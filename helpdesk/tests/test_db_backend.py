"""The PostgreSQL backend (core.db.postgresql): django-prometheus's, with psycopg's C
loader for timestamptz and one instrumented cursor class. Reads must be what Django's own
backend reads: aware datetimes in UTC, equal instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from prometheus_client import REGISTRY

from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_timestamps_are_read_by_psycopgs_c_loader_as_utc():
    from psycopg import adapters
    from psycopg.pq import Format

    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, '2026-11-30 10:00:00+05'::timestamptz", ["2026-11-30T08:30:00-02:00"])
        given, literal = cursor.fetchone()
    loader = connection.connection.adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    assert loader.__module__.startswith("psycopg_binary")
    assert given == datetime(2026, 11, 30, 10, 30, tzinfo=UTC) and given.tzinfo is UTC
    assert literal == datetime(2026, 11, 30, 5, 0, tzinfo=UTC) and literal.tzinfo is UTC


def test_models_read_back_what_was_written():
    created = datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=UTC)
    ticket = TicketFactory(created_at=created, resolved_at=None)
    read = Ticket.objects.get(pk=ticket.pk)
    assert read.created_at == created and read.created_at.tzinfo is UTC
    assert read.resolved_at is None


def test_server_side_cursors_read_utc_too():
    TicketFactory.create_batch(3)
    with transaction.atomic():  # .iterator() on PostgreSQL: a named (server-side) cursor
        stamps = [ticket.created_at for ticket in Ticket.objects.order_by("id").iterator(chunk_size=2)]
    assert len(stamps) == 3
    assert all(stamp.tzinfo is UTC for stamp in stamps)


def test_queries_are_counted_with_one_cursor_class_across_connections():
    first = connection.get_connection_params()["cursor_factory"]
    assert connection.get_connection_params()["cursor_factory"] is first

    def executed() -> float:
        return REGISTRY.get_sample_value(
            "django_db_execute_total", {"alias": connection.alias, "vendor": connection.vendor}
        )

    before = executed() or 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert executed() == before + 1
