"""Issue 24, point 8, in chromium at a phone's and a desktop's width: the ticket's history reads
as sentences with short local times (no ISO timestamps), and no label of a dashboard chart
sits on one of its bars. Screenshots: /tmp/shots-export/ (set READABLE_SHOTS to change)."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.models import TicketEvent
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(os.environ.get("READABLE_SHOTS") or Path(tempfile.gettempdir()) / "shots-export")
ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\d\d:\d\d:\d\d|\.\d{6}")

# Every pair of a chart's text and bar whose boxes intersect by more than a rounding error.
OVERLAPS = """
() => {
  const found = [];
  for (const svg of document.querySelectorAll("svg.bars")) {
    const bars = [...svg.querySelectorAll("rect.bar")].map((bar) => bar.getBoundingClientRect())
      .filter((box) => box.width > 0 && box.height > 0);
    for (const text of svg.querySelectorAll("text")) {
      const t = text.getBoundingClientRect();
      for (const b of bars) {
        const x = Math.min(t.right, b.right) - Math.max(t.left, b.left);
        const y = Math.min(t.bottom, b.bottom) - Math.max(t.top, b.top);
        if (x > 0.5 && y > 0.5) found.push(`${text.textContent} on a bar`);
      }
    }
  }
  return found;
}
"""


def history_of_every_kind(ticket, actor) -> None:
    """A line of each kind, with values as the services write them."""
    now = timezone.now()
    lines = [
        ("created", "", "portal, normal, general"),
        ("team", "", "Billing"),
        (
            "due_times",
            "",
            f"Standard: first response by {now:%Y-%m-%d %H:%M} UTC, resolution by {now:%Y-%m-%d %H:%M} UTC",
        ),
        ("assignee", "", "Sue Supervisor"),
        ("status", "new", "open"),
        ("priority", "normal", "high"),
        ("category", "general", "billing"),
        ("tags", "", "vip, refund"),
        ("subject", "Printer", "Printer on fire"),
        ("reply", "", "message 12"),
        ("first_response", "", now.isoformat()),
        ("note", "", "message 13"),
        ("customer_reply", "", "message 14"),
        ("rating", "", "5 for message 12"),
        ("link_rotated", "", "(the customer was emailed the new one)"),
        ("customer", "Ann <ann@example.org>", "Bo <bo@example.org>"),
        ("cc", "", "added cc.person@example.org"),
        ("automation", "", "trigger Outages are urgent"),
    ]
    for kind, old, new in lines:
        TicketEvent.objects.create(
            ticket=ticket,
            kind=kind,
            actor_type="agent",
            actor_user=actor,
            actor_name="Sue",
            old_value=old,
            new_value=new,
        )


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_history_and_the_dashboard_read_well(new_page, width, language):
    general = CategoryFactory(slug="general", name="General")
    sue = AgentFactory(
        user__username="sue", name="Sue Supervisor", role="supervisor", language=language, specializations=[general]
    )
    ticket = TicketFactory(subject="Printer on fire", category=general, status="open")
    history_of_every_kind(ticket, sue.user)
    now = timezone.now()
    for age, priority, count in (
        (timedelta(minutes=10), "urgent", 3),
        (timedelta(hours=2), "high", 5),
        (timedelta(hours=10), "normal", 12),
        (timedelta(days=2), "low", 4),
        (timedelta(days=2), "normal", 7),
        (timedelta(days=20), "high", 2),
    ):
        for _ in range(count):
            TicketFactory(category=general, status="open", priority=priority, created_at=now - age)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = new_page(width)
    sign_in(page, "sue")
    page.goto(f"/agent/tickets/{ticket.pk}")
    history = page.locator("ol.timeline").inner_text()
    assert not ISO.search(history), history
    if language == "en":
        assert "Priority normal → high" in history
        assert re.search(r"First response: \d{1,2} [A-Z][a-z]{2}, \d\d:\d\d", history), history
    else:
        assert "Приоритет: обычный → высокий" in history
        assert re.search(r"Первый ответ: \d{1,2} [а-я]+, \d\d:\d\d", history), history
    page.locator("#history-heading").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"history-{language}-{width}.png"), full_page=True)

    page.goto("/agent/?view=all&priority=high")
    link = page.get_by_role("link", name="Export CSV" if language == "en" else "Выгрузить в CSV")
    assert link.get_attribute("href") == "/agent/export.csv?view=all&priority=high"
    page.screenshot(path=str(SHOTS / f"queue-{language}-{width}.png"))

    page.goto("/agent/dashboard")
    assert page.locator("svg.bars").count() >= 3  # status, priority, age (no SLA or CSAT data here)
    assert page.evaluate(OVERLAPS) == []
    age = page.locator("figure.chart", has=page.locator("#chart-age"))
    assert age.locator("svg.bars rect.bar").count() == 7  # a segment per bucket and priority with tickets
    age.locator("summary").click()
    assert age.locator("table tbody tr").count() == 6
    page.screenshot(path=str(SHOTS / f"dashboard-{language}-{width}.png"), full_page=True)
