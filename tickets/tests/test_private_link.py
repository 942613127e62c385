"""Private links (issue 20, point 6): an agent replaces one from the workspace, the API or
Django admin, the customer is emailed the new one and the old one answers 404; links can
expire (PORTAL_LINK_MAX_AGE_DAYS); tokens never reach the request log."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.logging import RedactSecretsFilter
from notifications.delivery import notifications_deliver_due
from tickets.links import private_token, private_url
from tickets.models import EventKind, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _portal(path: str) -> int:
    return Client().get(path).status_code


def _path(url: str, settings) -> str:
    return url.removeprefix(settings.SITE_URL)


def _new_link_email(settings) -> str:
    notifications_deliver_due()
    [email] = [message for message in mail.outbox if "new private link" in message.subject]
    [line] = [line for line in email.body.splitlines() if "/portal/tickets/" in line]
    return _path(line.strip(), settings)


def test_an_agent_replaces_the_link_through_the_api_and_the_old_one_stops_working(agent_api, settings):
    ticket = TicketFactory(customer_email="cleo@example.org")
    old = _path(private_url(ticket), settings)
    assert _portal(old) == 200

    answer = agent_api.post(f"/api/support/tickets/{ticket.pk}/rotate-link")

    assert answer.status_code == 200
    assert _portal(old) == 404
    new = _new_link_email(settings)
    assert new != old and _portal(new) == 200
    [email] = [message for message in mail.outbox if "new private link" in message.subject]
    assert email.to == ["cleo@example.org"] and email.subject.startswith(f"[#{ticket.pk}] ")
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind=EventKind.LINK_ROTATED).count() == 1


def test_an_integration_cannot_replace_a_link(integration_api):
    ticket = TicketFactory()
    before = Ticket.objects.get(pk=ticket.pk).access_key

    assert integration_api.post(f"/api/support/tickets/{ticket.pk}/rotate-link").status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).access_key == before


def test_the_workspace_button_replaces_the_link(agent, settings):
    ticket = TicketFactory(category=agent.specializations.first())
    old = _path(private_url(ticket), settings)
    client = Client()
    client.force_login(agent.user)

    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()
    answer = client.post(f"/agent/tickets/{ticket.pk}/rotate-link")

    assert "Replace the private link" in page
    assert answer.status_code == 302 and answer["Location"] == f"/agent/tickets/{ticket.pk}"
    assert _portal(old) == 404
    assert _portal(_new_link_email(settings)) == 200
    assert "Private link replaced" in client.get(f"/agent/tickets/{ticket.pk}").content.decode()


def test_the_admin_action_replaces_the_links_of_the_chosen_tickets(admin_user, settings):
    chosen, other = TicketFactory(), TicketFactory()
    links = {t.pk: _path(private_url(t), settings) for t in (chosen, other)}
    client = Client()
    client.force_login(admin_user)

    answer = client.post(
        "/admin/tickets/ticket/",
        {"action": "rotate_private_links", "_selected_action": [chosen.pk]},
        follow=True,
    )

    assert "Replaced the private link of 1 ticket(s)" in answer.content.decode()
    assert _portal(links[chosen.pk]) == 404
    assert _portal(links[other.pk]) == 200


def test_links_expire_after_the_configured_days(settings):
    settings.PORTAL_LINK_MAX_AGE_DAYS = 30
    ticket = TicketFactory()
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        old = f"/portal/tickets/{private_token(ticket)}/"
    with time_machine.travel(timezone.now() - timedelta(days=29)):
        recent = f"/portal/tickets/{private_token(ticket)}/"

    assert _portal(old) == 404
    assert _portal(recent) == 200
    settings.PORTAL_LINK_MAX_AGE_DAYS = 0  # off (the default): no age limit
    assert _portal(old) == 200


def test_tokens_never_reach_the_request_log(settings):
    ticket = TicketFactory()
    token = private_token(ticket)
    [console] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
    ]
    captured = io.StringIO()
    previous = console.setStream(captured)
    logger = logging.getLogger("helpdesk.request")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        Client().get(f"/portal/tickets/{token}/")
        Client().get(f"/portal/tickets/{token}x/")  # a bad token: 404, logged by Django too
        Client().get("/accounts/reset/MQ/abc-123def/")
        logging.getLogger("django.request").error("Not Found: %s", f"/portal/tickets/{token}/")
    finally:
        console.setStream(previous)
        logger.setLevel(level)

    text = captured.getvalue()
    assert "/portal/tickets/[redacted]/" in text
    assert "/accounts/reset/[redacted]/" in text
    assert token not in text and "abc-123def" not in text
