"""tickets 0014: messages written before sources were recorded get theirs, batch by batch."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from agents.roles import SYSTEM, actor_for, customer_actor
from tickets import services
from tickets.models import Message

backfill = importlib.import_module("tickets.migrations.0014_message_source_backfill")

pytestmark = pytest.mark.django_db


def _ticket(category, channel: str):
    return services.ticket_create(
        subject=f"Via {channel}",
        description="Something is not working as it should.",
        customer_email="cleo@example.org",
        category=category,
        actor=customer_actor("Cleo", "cleo@example.org"),
        channel=channel,
        auto_assign=False,
    )


def test_every_message_gets_the_source_it_came_by(category, agent, monkeypatch):
    customer = customer_actor("Cleo", "cleo@example.org")
    expected = {}
    for channel in ("portal", "api", "email", "agent"):
        ticket = _ticket(category, channel)
        for actor, kind in ((customer, "customer"), (actor_for(agent.user), "agent"), (SYSTEM, "system")):
            message = services.message_create(ticket=ticket, body=f"{kind} on {channel}", actor=actor)
            expected[message.pk] = kind if kind != "customer" else channel if channel in ("api", "email") else "portal"
    # As before 0013: every message says the column's default.
    Message.objects.update(source="portal")
    monkeypatch.setattr(backfill, "BATCH", 3)  # several batches, one message per kind in each

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    backfill.backfill(None, editor)
    backfill.backfill(None, editor)  # again: nothing changes

    assert dict(Message.objects.values_list("pk", "source")) == expected
