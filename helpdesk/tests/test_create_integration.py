from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from conftest import api_client_for
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_it_prints_a_token_that_works_for_tickets_but_not_notes(capsys, agent_api):
    call_command("create_integration", "crm-sync")
    token = capsys.readouterr().out.split("Token ")[1].strip()
    ticket = TicketFactory()
    agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "secret", "internal": True}, format="json")

    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(f"/api/support/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert response.json()["messages"] == []


def test_it_is_idempotent(capsys):
    call_command("create_integration", "crm-sync")
    call_command("create_integration", "crm-sync")
    first, second = capsys.readouterr().out.strip().splitlines()

    assert first == second


def test_an_agent_cannot_double_as_an_integration(agent):
    with pytest.raises(CommandError, match="is an agent"):
        call_command("create_integration", agent.user.username)
    assert api_client_for(agent.user).get("/api/support/tickets").status_code == 200
