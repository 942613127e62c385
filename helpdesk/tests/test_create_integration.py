from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from conftest import api_client_for
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_it_prints_a_token_that_works_for_tickets_but_not_notes(capsys, agent_api):
    call_command("create_integration", "crm-sync")
    token = capsys.readouterr().out.split("Token ")[1].split()[0]
    ticket = TicketFactory()
    agent_api.post(f"/api/support/tickets/{ticket.pk}/messages", {"body": "secret", "internal": True}, format="json")

    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(f"/api/support/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert response.json()["messages"] == []


def test_running_it_again_keeps_the_user_and_issues_another_working_token(capsys):
    """A token is stored as its digest, so it cannot be printed twice: a second run makes a
    second token (the first stays valid until revoked: manage.py api_token revoke)."""
    from django.contrib.auth import get_user_model

    call_command("create_integration", "crm-sync")
    call_command("create_integration", "crm-sync")
    first, second = (line.split("Token ")[1].split()[0] for line in capsys.readouterr().out.strip().splitlines())

    assert first != second
    assert get_user_model().objects.filter(username="crm-sync").count() == 1
    for token in (first, second):
        assert api_client_for(None).get("/api/support/tickets", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_an_agent_cannot_double_as_an_integration(agent):
    with pytest.raises(CommandError, match="is an agent"):
        call_command("create_integration", agent.user.username)
    assert api_client_for(agent.user).get("/api/support/tickets").status_code == 200
