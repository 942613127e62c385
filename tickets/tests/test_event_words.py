"""History values in the reader's words (tickets.event_words), stored values unchanged."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from tickets.event_words import event_sentence, value_words
from tickets.models import EventKind, TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\d\d:\d\d:\d\d")


@pytest.mark.parametrize(
    ("kind", "value", "english", "russian"),
    [
        (EventKind.STATUS, "pending", "pending", "ожидает"),
        (EventKind.PRIORITY, "urgent", "urgent", "срочный"),
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


@time_machine.travel("2026-12-06 12:00Z", tick=False)
def test_due_times_and_first_response_are_short_dates_in_the_readers_zone_and_language():
    due = "Urgent: first response by 2026-12-05 14:00 UTC, resolution by 2026-12-06 10:30 UTC"
    with translation.override("ru"), timezone.override(ZoneInfo("Europe/Moscow")):
        worded = value_words(EventKind.DUE_TIMES, due)
        first = value_words(EventKind.FIRST_RESPONSE, "2026-12-05T14:32:07.123456+00:00")
    assert worded == "Urgent: первый ответ до 5 декабря, 17:00, решение до 6 декабря, 13:30"
    with translation.override("ru"), timezone.override(ZoneInfo("Europe/Moscow")):
        answered = value_words(EventKind.DUE_TIMES, "Urgent: resolution by 2026-12-06 10:30 UTC")
    assert answered == "Urgent: решение до 6 декабря, 13:30"
    assert first == "5 декабря, 17:32"
    with translation.override("en"), timezone.override(ZoneInfo("UTC")):
        assert value_words(EventKind.FIRST_RESPONSE, "2026-12-05T14:32:07.123456+00:00") == "5 Dec, 14:32"
        # Another year's moment says its year.
        assert value_words(EventKind.FIRST_RESPONSE, "2025-12-05T14:32:07+00:00") == "5 Dec 2025, 14:32"


@time_machine.travel("2026-12-06 12:00Z", tick=False)
@pytest.mark.parametrize(
    ("kind", "old", "new", "english"),
    [
        (EventKind.CREATED, "", "portal, normal, general", "Created: portal, normal, general"),
        (EventKind.STATUS, "new", "pending", "Status new → pending"),
        (EventKind.PRIORITY, "normal", "high", "Priority normal → high"),
        (EventKind.CATEGORY, "general", "billing", "Category general → billing"),
        (EventKind.ASSIGNEE, "", "Alice", "Assignee: Alice"),
        (EventKind.ASSIGNEE, "Alice", "", "Assignee Alice → nobody"),
        (EventKind.TAGS, "vip", "", "Tags vip → no tags"),
        (EventKind.SUBJECT, "Printer", "Printer on fire", "Subject Printer → Printer on fire"),
        (EventKind.REPLY, "", "message 12", "Reply: message 12"),
        (EventKind.NOTE, "", "message 13", "Note: message 13"),
        (EventKind.CUSTOMER_REPLY, "", "message 14", "Customer reply: message 14"),
        (EventKind.FIRST_RESPONSE, "", "2026-12-05T14:32:07.123456+00:00", "First response: 5 Dec, 14:32"),
        (EventKind.RATING, "", "5 for message 12", "Rating: 5 for message 12"),
        (
            EventKind.DUE_TIMES,
            "",
            "Urgent: first response by 2026-12-05 14:00 UTC, resolution by 2026-12-06 10:30 UTC",
            "Due times: Urgent: first response by 5 Dec, 14:00, resolution by 6 Dec, 10:30",
        ),
        (EventKind.DUE_TIMES, "", "no SLA policy", "Due times: no SLA policy"),
        (
            EventKind.LINK_ROTATED,
            "",
            "(the customer was emailed the new one)",
            "Private link replaced: (the customer was emailed the new one)",
        ),
        (EventKind.TEAM, "Billing", "", "Team Billing → no team"),
        (
            EventKind.CUSTOMER,
            "Ann <ann@example.org>",
            "Bo <bo@example.org>",
            "Customer Ann <ann@example.org> → Bo <bo@example.org>",
        ),
        (EventKind.CC, "", "added cc@example.org", "CC added cc@example.org"),
        (EventKind.AUTOMATION, "", "trigger VIP", "Automation: trigger “VIP” fired"),
    ],
)
def test_every_kind_of_event_reads_as_a_sentence_without_iso_times(kind, old, new, english):
    with translation.override("en"), timezone.override(ZoneInfo("UTC")):
        sentence = event_sentence(kind, old, new)
    assert sentence == english
    with translation.override("ru"), timezone.override(ZoneInfo("Europe/Moscow")):
        russian = event_sentence(kind, old, new)
    assert not ISO.search(sentence) and not ISO.search(russian), russian


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
