"""Issue 24, point 6: the queue as a CSV file — content, escaping, visibility, filters,
streaming, permissions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.http import StreamingHttpResponse

from agents.models import Team
from customers.models import Customer, Organization
from tickets.models import Tag
from tickets.tests.factories import TicketFactory
from workspace.export import safe_cell

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def export(client, query: str = "") -> tuple[StreamingHttpResponse, list[list[str]]]:
    response = client.get(f"/agent/export.csv{query}")
    assert response.status_code == 200, response.status_code
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return response, list(csv.reader(io.StringIO(text[1:])))


def test_it_writes_a_header_and_a_row_per_ticket_with_every_column(signed_in, category):
    organisation = Organization.objects.create(name="Acme")
    customer = Customer.objects.create(name="Ivan", email="ivan@example.org", organization=organisation)
    ticket = TicketFactory(
        subject="Принтер не печатает, снова",
        customer_name="Иван Петров",
        customer_email="ivan@example.org",
        customer=customer,
        category=category,
        priority="high",
        status="open",
        channel="email",
        created_at=datetime(2026, 12, 5, 14, 32, 7, 123456, tzinfo=UTC),
    )
    ticket.tags.add(Tag.objects.create(name="vip"), Tag.objects.create(name="billing"))

    response, rows = export(signed_in, "?view=open")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tickets-open-')
    assert rows[0][:4] == ["Number", "Subject", "Status", "Priority"]
    assert rows[0][12] == "Created (UTC)"
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Number"] == str(ticket.pk)
    assert row["Subject"] == "Принтер не печатает, снова"  # the comma is quoted, not a column
    assert row["Status"] == "Open"
    assert row["Priority"] == "High"
    assert row["Category"] == "General"
    assert row["Customer name"] == "Иван Петров"
    assert row["Organisation"] == "Acme"
    assert row["Channel"] == "Email"
    assert row["Tags"] == "billing, vip"
    assert row["Created (UTC)"] == "2026-12-05T14:32:07Z"  # no microseconds
    assert row["Resolved (UTC)"] == ""


def test_its_header_and_labels_are_in_the_agents_language(signed_in, agent, category):
    agent.language = "ru"
    agent.save()
    TicketFactory(category=category, status="open", priority="urgent")

    _response, rows = export(signed_in, "?view=open")

    assert rows[0][0] == "Номер"
    assert rows[1][3] == "Срочный"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_quoted(start):
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert safe_cell("a=b") == "a=b"


def test_formulas_newlines_and_quotes_survive_as_text(signed_in, category):
    TicketFactory(
        subject='=HYPERLINK("http://evil")',
        customer_name='@SUM(1)\nsecond "line"',
        category=category,
    )

    _response, rows = export(signed_in, "?view=all")

    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Subject"] == '\'=HYPERLINK("http://evil")'
    assert row["Customer name"] == '\'@SUM(1)\nsecond "line"'


def test_a_restricted_teams_ticket_is_not_in_an_outsiders_file(signed_in, category):
    vault = Team.objects.create(name="Vault", restricted=True)
    TicketFactory(subject="Secret", category=category, team=vault)
    TicketFactory(subject="Plain", category=category)

    _response, rows = export(signed_in, "?view=all")

    assert [row[1] for row in rows[1:]] == ["Plain"]


def test_it_honours_the_queues_view_filters_and_order(signed_in, category):
    TicketFactory(subject="Old high", category=category, priority="high", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    TicketFactory(subject="New high", category=category, priority="high", created_at=datetime(2026, 2, 1, tzinfo=UTC))
    TicketFactory(subject="Low", category=category, priority="low")
    TicketFactory(subject="Closed high", category=category, priority="high", status="closed")

    _response, rows = export(signed_in, "?view=open&priority=high&sort=oldest")

    assert [row[1] for row in rows[1:]] == ["Old high", "New high"]


def test_it_reads_the_rows_in_a_constant_number_of_statements(signed_in, category, django_assert_max_num_queries):
    for number in range(30):
        TicketFactory(category=category, subject=f"Ticket {number}").tags.add(
            Tag.objects.get_or_create(name=f"tag{number % 3}")[0]
        )

    with django_assert_max_num_queries(8):
        response = signed_in.get("/agent/export.csv?view=all")
        assert isinstance(response, StreamingHttpResponse)
        lines = b"".join(response.streaming_content).decode().splitlines()

    assert len(lines) == 31


def test_a_second_export_at_once_is_refused_and_the_lock_is_freed_after(signed_in, agent, category):
    TicketFactory(category=category)
    first = signed_in.get("/agent/export.csv")
    assert first.status_code == 200
    assert signed_in.get("/agent/export.csv").status_code == 429

    b"".join(first.streaming_content)  # the test client closes the response at its end
    assert cache.get(f"queue-export:{agent.user.pk}") is None
    assert signed_in.get("/agent/export.csv").status_code == 200


def test_customers_and_anonymous_visitors_are_refused(client, category):
    from agents.tests.factories import UserFactory

    TicketFactory(category=category)
    anonymous = client.get("/agent/export.csv")
    assert anonymous.status_code == 302
    client.force_login(UserFactory(username="customer"))
    assert client.get("/agent/export.csv").status_code == 403


def test_an_agent_exports_their_default_view_when_the_link_names_none(signed_in, agent, category):
    TicketFactory(category=category, subject="Mine", assigned_agent=agent, status="open")
    TicketFactory(category=category, subject="Someone else's", status="open")

    _response, rows = export(signed_in)

    assert [row[1] for row in rows[1:]] == ["Mine"]  # "My tickets", as the queue opens on


def test_the_queue_links_to_the_export_of_what_it_shows(signed_in):
    page = signed_in.get("/agent/?view=all&priority=high").content.decode()

    assert 'href="/agent/export.csv?view=all&amp;priority=high" download>Export CSV' in page


def test_the_rows_are_read_in_a_transaction_of_their_own_without_jit(agent, category):
    from django.db import connection

    from workspace.export import export_rows

    TicketFactory(category=category)
    rows = export_rows(user=agent.user, view="all", filters={})
    next(rows)
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    rows.close()
