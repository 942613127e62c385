"""History values in the reader's words (tickets.event_words), stored values unchanged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tickets.event_words import value_words
from tickets.models import EventKind, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "value", "english", "russian"),
    [
        (EventKind.STATUS, "pending", "pending", "ожидает"),
        (EventKind.PRIORITY, "urgent", "Urgent", "Срочный"),
        (EventKind.CREATED, "portal, normal, general", "portal, normal, general", "портал, обычный, general"),
        (EventKind.REPLY, "message 12", "message 12", "сообщение 12"),
        (EventKind.RATING, "5 for message 12", "5 for message 12", "5"),
        (EventKind.DUE_TIMES, "no SLA policy", "no SLA policy", "нет политики SLA"),
        (EventKind.SUBJECT, "Printer on fire", "Printer on fire", "Printer on fire"),
        (EventKind.STATUS, "no-such-status", "no-such-status", "no-such-status"),
    ],
)
def test_values_are_worded_in_the_active_language(kind, value, english, russian):
    with translation.override("en"):
        assert value_words(kind, value).startswith(english)
    with translation.override("ru"):
        assert value_words(kind, value).startswith(russian)


def test_due_times_and_first_response_are_dates_in_the_reader_format(settings):
    due = "Urgent: first response by 2026-12-05 14:00 UTC, resolution by 2026-12-06 10:30 UTC"
    with translation.override("ru"):
        worded = value_words(EventKind.DUE_TIMES, due)
        first = value_words(EventKind.FIRST_RESPONSE, "2026-12-05T14:00:00+00:00")
    assert worded.startswith("Urgent: первый ответ до") and "05.12.2026 14:00" in worded and "UTC" not in worded
    assert first == "05.12.2026 14:00"


def test_the_ticket_page_words_the_history_and_the_api_keeps_the_values(agent, agent_api):
    ticket = TicketFactory(category=agent.specializations.first(), status="open")
    TicketEvent.objects.create(ticket=ticket, kind="status", actor_type="agent", old_value="new", new_value="pending")
    agent.language = "ru"
    agent.save()
    client = Client()
    client.force_login(agent.user)

    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert "новая → ожидает" in page
    events = agent_api.get(f"/api/support/tickets/{ticket.pk}/history").json()
    assert {"old_value": "new", "new_value": "pending"}.items() <= events["results"][-1].items()


def test_a_cc_event_reads_grammatically_in_russian(agent):
    ticket = TicketFactory(category=agent.specializations.first(), status="open")
    TicketEvent.objects.create(ticket=ticket, kind="cc", actor_type="agent", new_value="added cc.person@example.org")
    TicketEvent.objects.create(ticket=ticket, kind="cc", actor_type="agent", new_value="removed cc.person@example.org")
    agent.language = "ru"
    agent.save()
    client = Client()
    client.force_login(agent.user)

    page = " ".join(client.get(f"/agent/tickets/{ticket.pk}").content.decode().split())

    assert "Копия добавлена: cc.person@example.org" in page
    assert "Копия удалена: cc.person@example.org" in page
