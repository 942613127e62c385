"""automation/migrations/0002_saved_replies_to_macros.py, run on saved replies in a table
shaped as tickets 0004 made it (tickets 0024 has dropped it from the test database): every
saved reply becomes a shared, text-only macro with its name, text, category and date."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from automation.models import Macro
from automation.tests.factories import make_macro
from conftest import rolled_back
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("automation.migrations.0002_saved_replies_to_macros")
EDITOR = SimpleNamespace(connection=connection)

SAVED_REPLY_TABLE = """
    CREATE TABLE tickets_savedreply (
        id bigserial PRIMARY KEY,
        title varchar(120) NOT NULL UNIQUE CHECK (title <> ''),
        body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
        category_id bigint NULL REFERENCES tickets_category (id),
        created_at timestamptz NOT NULL
    )
"""


def saved_replies(cursor) -> list[tuple]:
    cursor.execute("SELECT title, body, category_id, created_at FROM tickets_savedreply ORDER BY id")
    return cursor.fetchall()


def test_every_saved_reply_becomes_a_shared_text_only_macro(agent, category):
    billing = CategoryFactory(slug="billing", name="Billing")
    then = timezone.now() - timedelta(days=400)
    rows = [
        ("Greeting", "Hello {customer_name},\n\nthanks for {ticket_number}.", None, then),
        ("Refund on its way", "Hi {customer_name}, {subject}: refunded. {agent_name}", billing.pk, then),
        ("Ünïcode ✓", "Спасибо, {customer_name}!", category.pk, then + timedelta(hours=1)),
        ("Already a macro", "The saved reply's text.", None, then),
        ("x" * 120, "y" * 10000, None, then),
        ("Agnes has one too", "Shared now.", None, then),
    ]
    make_macro("Already a macro", reply="The macro's own text.")
    make_macro("x" * 120, reply="Another.")
    make_macro("Agnes has one too", owner=agent, reply="Hers.")
    before = set(Macro.objects.values_list("pk", flat=True))

    with rolled_back(), connection.cursor() as cursor:
        cursor.execute(SAVED_REPLY_TABLE)
        for row in rows:
            cursor.execute(
                "INSERT INTO tickets_savedreply (title, body, category_id, created_at) VALUES (%s, %s, %s, %s)", row
            )

        migration.copy_saved_replies(None, EDITOR)

        copies = Macro.objects.exclude(pk__in=before).order_by("id")
        made = [(m.name, m.reply, m.category_id, m.created_at) for m in copies]
        renamed = {"Already a macro": "Already a macro (saved reply)", "x" * 120: "x" * 105 + " (saved reply)"}
        assert made == [(renamed.get(title, title), body, category, at) for title, body, category, at in rows]
        assert all((m.owner_id, m.team_id, m.active) == (None, None, True) for m in copies)
        assert not any(m.actions.exists() for m in copies)
        assert Macro.objects.get(name="Already a macro").reply == "The macro's own text."  # untouched

        # Backwards: the shared text-only macros go back to the table (a title there stays as it was).
        cursor.execute("DELETE FROM tickets_savedreply")
        make_macro("With actions", reply="Kept.", actions=[("add_tags", "x")])
        migration.copy_back(None, EDITOR)

        back = {title: (body, category) for title, body, category, _ in saved_replies(cursor)}
        assert back["Refund on its way"] == ("Hi {customer_name}, {subject}: refunded. {agent_name}", billing.pk)
        assert back["Already a macro"] == ("The macro's own text.", None)
        assert "With actions" not in back and "Agnes has one too" in back
        assert set(Macro.objects.values_list("name", flat=True)) == {"With actions", "Agnes has one too"}
        assert Macro.objects.get(name="Agnes has one too").owner == agent
