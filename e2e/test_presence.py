"""Presence in chromium (issue 24, point 5): two agents on one ticket. B sees that A is
viewing it; A types in the reply box and B sees that A is typing a reply. Screenshots:
/tmp/shots-phone/presence-*.png."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.tests.factories import TicketFactory
from workspace.tests.test_presence import redis_cache  # noqa: F401  (autouse: presence needs Redis)

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(tempfile.gettempdir()) / "shots-phone"  # looked at, not committed


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_sees_who_else_views_and_types_on_the_ticket(new_page, width):
    SHOTS.mkdir(exist_ok=True)
    AgentFactory(user__username="anna", name="Anna Viewer")
    AgentFactory(user__username="boris", name="Boris Watcher")
    ticket = TicketFactory(subject="Cannot sign in", status="open")

    anna = new_page(width)
    sign_in(anna, "anna")
    anna.goto(f"/agent/tickets/{ticket.pk}")
    expect(anna.locator("#presence")).to_have_attribute("data-typing-url", f"/agent/tickets/{ticket.pk}/typing")
    boris = new_page(width)
    sign_in(boris, "boris")
    boris.goto(f"/agent/tickets/{ticket.pk}")

    presence = boris.locator("#presence")
    expect(presence).to_have_text("Also on this ticket: Anna Viewer is viewing", timeout=15000)
    expect(boris.get_by_text("Boris Watcher is viewing")).to_have_count(0)

    # About 12 s of typing, longer than a poll's interval: one of Boris's polls falls in it.
    anna.get_by_label("Message").press_sequentially("Hello, I have reset your password; try again now. " * 3, delay=75)
    expect(presence).to_contain_text("Anna Viewer is typing a reply", timeout=12000)
    expect(anna.locator("#presence")).to_contain_text("Boris Watcher is viewing")
    assert boris.evaluate("document.documentElement.scrollWidth") <= width
    boris.screenshot(path=str(SHOTS / f"presence-{width}.png"), clip=_top(boris, width))


def _top(page, width: int) -> dict:
    box = page.locator("#presence").bounding_box()
    return {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 40}
