"""The agents' keyboard shortcuts in chromium (issue 24, point 7; static/js/keyboard.js): the
help overlay on "?", j / k along the queue and between its tickets, r / n / t / s / / on the
ticket page, keys left alone while typing, and a focus that can always be seen.
Screenshots: docs/screenshots/keyboard-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.tests.factories import AgentFactory
from e2e.accounts import sign_in
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
QUEUE = "/agent/?view=open&sort=oldest"


@pytest.fixture
def tickets():
    general = CategoryFactory(slug="general", name="General")
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])
    return [
        TicketFactory(subject=subject, category=general, status="open")
        for subject in ("Printer on fire", "Cannot sign in", "Refund please")
    ]


def focused(page, selector: str) -> bool:
    return page.evaluate("selector => document.activeElement.matches(selector)", selector)


def outline_of_focus(page) -> dict:
    return page.evaluate(
        """() => { const style = getComputedStyle(document.activeElement);
                   return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor}; }"""
    )


def assert_focus_is_visible(page) -> None:
    outline = outline_of_focus(page)
    assert outline["style"] == "solid" and outline["width"] >= 2, outline
    assert outline["color"] == "rgb(27, 31, 36)", outline  # --fg, dark on the light pages


@pytest.mark.parametrize("width", [1280, 375])
def test_question_mark_opens_the_help_and_escape_closes_it_returning_the_focus(new_page, tickets, width):
    page = new_page(width)
    sign_in(page, "agnes")
    page.goto(QUEUE)
    page.keyboard.press("j")
    assert focused(page, f'tr[data-ticket-id="{tickets[0].pk}"]')

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.getElementById('keyboard-help').contains(document.activeElement)")
    expect(dialog.locator("kbd", has_text="j")).to_be_visible()
    expect(dialog).to_contain_text("Write an internal note")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"keyboard-help-{width}.png"))
    # Keys are the dialog's while it is open: j does not move the queue behind it.
    page.keyboard.press("j")
    assert focused(page, "#keyboard-help *")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page, f'tr[data-ticket-id="{tickets[0].pk}"]')

    # Mouse users find it in the header; its Close button closes it and the focus goes back.
    button = page.get_by_role("button", name="Keyboard shortcuts")
    button.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert focused(page, "[data-keyboard-help]")


@pytest.mark.parametrize("width", [1280, 375])
def test_j_and_k_move_along_the_queue_and_enter_opens_the_ticket(new_page, tickets, width):
    first, second, third = tickets
    page = new_page(width)
    sign_in(page, "agnes")
    page.goto(QUEUE)

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    row = page.locator(f'tr[data-ticket-id="{second.pk}"]')
    assert focused(page, f'tr[data-ticket-id="{second.pk}"]')
    expect(row).to_have_class("keyboard-current")
    expect(page.locator("tr.keyboard-current")).to_have_count(1)
    assert_focus_is_visible(page)
    page.screenshot(path=str(SHOTS / f"keyboard-row-{width}.png"))
    # The queue's 30-second refresh (htmx) replaces the table and keeps the chosen row focused.
    page.evaluate("document.querySelectorAll('#queue tr').forEach(row => row.dataset.stale = '1')")
    page.evaluate("htmx.ajax('GET', location.pathname + location.search, {target: '#queue', swap: 'innerHTML'})")
    page.wait_for_function(f"document.activeElement.matches('tr[data-ticket-id=\"{second.pk}\"]:not([data-stale])')")
    expect(page.locator("tr.keyboard-current")).to_have_count(1)
    # Past the end: the focus stays, and a message says why nothing happened.
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused(page, f'tr[data-ticket-id="{third.pk}"]')
    expect(page.locator("#keyboard-status")).to_have_text("This is the last ticket on this page.")

    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/agent/tickets/{second.pk}")

    # On the ticket page j and k open the next and previous ticket of that list.
    page.keyboard.press("j")
    page.wait_for_url(f"**/agent/tickets/{third.pk}")
    page.keyboard.press("j")
    expect(page.locator("#keyboard-status")).to_have_text("No next ticket in the list you came from.")
    page.keyboard.press("k")
    page.wait_for_url(f"**/agent/tickets/{second.pk}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/agent/tickets/{first.pk}")

    # u goes back to the same queue, with the ticket one came from chosen; o opens a row too.
    page.keyboard.press("u")
    page.wait_for_url(f"**{QUEUE}")
    expect(page.locator(f'tr[data-ticket-id="{first.pk}"]')).to_have_class("keyboard-current")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/agent/tickets/{second.pk}")
    page.keyboard.press("g")
    page.keyboard.press("q")
    page.wait_for_url(f"**{QUEUE}")


def test_a_ticket_opened_from_elsewhere_says_there_is_no_list(new_page, tickets):
    page = new_page()
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{tickets[0].pk}")
    page.keyboard.press("j")
    expect(page.locator("#keyboard-status")).to_have_text(
        "Open a ticket from the queue to move between its tickets with j and k."
    )
    assert page.url.endswith(f"/agent/tickets/{tickets[0].pk}")


def test_the_ticket_page_keys_reply_note_take_status_and_search(new_page, tickets):
    ticket = tickets[0]
    page = new_page()
    sign_in(page, "agnes")
    page.goto(f"/agent/tickets/{ticket.pk}")

    page.keyboard.press("n")
    assert focused(page, "#id_body")
    expect(page.get_by_label("Internal note (only agents see it)")).to_be_checked()
    # Typing in the reply box types: j is a letter there, not the next ticket.
    page.keyboard.type("just a note")
    expect(page.locator("#id_body")).to_have_value("just a note")
    assert page.url.endswith(f"/agent/tickets/{ticket.pk}")
    page.keyboard.press("Escape")
    assert not focused(page, "#id_body")

    page.keyboard.press("r")
    assert focused(page, "#id_body")
    expect(page.get_by_label("Internal note (only agents see it)")).not_to_be_checked()
    page.keyboard.press("Escape")

    page.keyboard.press("s")
    assert focused(page, "#id_status")
    assert_focus_is_visible(page)
    page.keyboard.press("Escape")

    # Ctrl / Alt / Meta combinations are the browser's.
    page.keyboard.press("Alt+t")
    assert Ticket.objects.get(pk=ticket.pk).assigned_agent is None
    page.keyboard.press("t")
    expect(page.get_by_text("Assigned to Agnes Agent.")).to_be_visible()
    assert Ticket.objects.get(pk=ticket.pk).assigned_agent.name == "Agnes Agent"
    page.keyboard.press("t")
    expect(page.locator("#keyboard-status")).to_have_text("This ticket is already yours.")

    # / from a ticket page: the queue (her own tickets: this one), with its search box focused.
    page.keyboard.press("/")
    page.wait_for_url("**/agent/")
    assert focused(page, "form[role=search] input[name=q]")
    page.keyboard.type("printer")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=printer**")
    expect(page.locator("tr[data-ticket-id]")).to_have_count(1)
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    assert focused(page, "form[role=search] input[name=q]")
    assert_focus_is_visible(page)


def test_the_letter_keys_work_with_a_russian_layout(new_page, tickets):
    page = new_page()
    sign_in(page, "agnes")
    page.goto(QUEUE)
    # The j key with a Russian layout types "о"; its code is still KeyJ.
    page.evaluate(
        """() => document.dispatchEvent(new KeyboardEvent("keydown", {key: "о", code: "KeyJ", bubbles: true}))"""
    )
    assert focused(page, f'tr[data-ticket-id="{tickets[0].pk}"]')


def test_the_help_in_russian_fits_a_phone(new_page, tickets, tmp_path):
    AgentFactory(user__username="olga", name="Ольга Смирнова", language="ru")
    page = new_page(375)
    sign_in(page, "olga")
    page.goto(f"/agent/tickets/{tickets[0].pk}")
    page.screenshot(path=str(tmp_path / "ru-ticket-375.png"))
    page.get_by_role("button", name="Горячие клавиши").click()

    dialog = page.get_by_role("dialog", name="Горячие клавиши")
    expect(dialog).to_contain_text("Написать внутреннюю заметку")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.screenshot(path=str(tmp_path / "ru-keyboard-help-375.png"))
    print(tmp_path)
