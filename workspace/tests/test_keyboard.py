"""The agents' keyboard shortcuts as the server renders them (issue 24, point 7): the script on
every agent page, the help and its messages translated, the queue's rows naming their ticket.
What the keys do in a browser: e2e/test_keyboard.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


@pytest.mark.parametrize("page", ["/agent/", "/agent/tickets/{id}", "/agent/notifications", "/agent/customers/"])
def test_every_agent_page_loads_the_shortcuts_and_their_help(signed_in, page):
    ticket = TicketFactory()

    html = signed_in.get(page.format(id=ticket.pk)).content.decode()

    assert '<script src="/static/js/keyboard.js" defer></script>' in html
    assert '<dialog id="keyboard-help"' in html and "<kbd>?</kbd>" in html
    assert 'data-keyboard-help aria-haspopup="dialog" hidden>Keyboard shortcuts</button>' in html


def test_the_queue_rows_name_their_ticket_for_j_and_k(signed_in):
    tickets = TicketFactory.create_batch(2, status="open")

    html = signed_in.get("/agent/?view=open").content.decode()

    for ticket in tickets:
        url = reverse("agent:ticket", args=[ticket.pk])
        assert f'<tr data-ticket-id="{ticket.pk}" data-ticket-url="{url}">' in html


def test_the_help_and_what_the_script_says_are_in_russian(signed_in):
    ticket = TicketFactory()
    signed_in.post("/agent/language", {"language": "ru"})

    html = signed_in.get(f"/agent/tickets/{ticket.pk}", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Горячие клавиши" in html
    assert 'data-no-next="В списке, из которого вы пришли, следующей заявки нет."' in html
    assert 'data-inserted="Вставлено в ваше сообщение."' in html
