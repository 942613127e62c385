"""Issue 22, restricted teams: the rule (tickets.visibility), the reads that obey it, the
assignment it refuses and the notices it keeps from people outside the team."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import Team
from agents.roles import SYSTEM, actor_for, agent_for
from agents.tests.factories import AgentFactory
from conftest import api_client_for
from notifications.inbox import inbox
from notifications.models import Channel, Notification
from tickets.assignment import NotATeamMember, candidate_agents, ticket_assign
from tickets.models import Ticket
from tickets.selectors import get_ticket_for_user, tickets_for_queue, tickets_for_user
from tickets.tests.factories import MessageFactory, TicketFactory
from tickets.visibility import agent_may_see, agents_who_may_see, hidden_team_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault(agent):
    """A restricted team with `agent` in it, and one of its tickets."""
    team = Team.objects.create(name="Vault", restricted=True)
    team.members.add(agent)
    return team


@pytest.fixture
def secret(vault, category):
    return TicketFactory(category=category, team=vault, subject="Payroll mistake quokka", status="open")


@pytest.fixture
def plain(category):
    return TicketFactory(category=category, subject="Printer jam quokka", status="open")


def fresh(user):
    """The user as a new request sees it: nothing kept from an earlier one."""
    return type(user).objects.get(pk=user.pk)


# --- the rule ------------------------------------------------------------------------------


def test_it_hides_restricted_teams_from_agents_outside_them_only(
    vault, agent, other_agent, supervisor, admin_user, integration_user
):
    open_team = Team.objects.create(name="Billing")
    other_vault = Team.objects.create(name="Legal", restricted=True)

    assert hidden_team_ids(fresh(agent.user)) == {other_vault.pk}
    assert hidden_team_ids(fresh(other_agent.user)) == {vault.pk, other_vault.pk}
    assert open_team.pk not in hidden_team_ids(fresh(other_agent.user))
    assert hidden_team_ids(fresh(supervisor.user)) == frozenset()
    assert hidden_team_ids(fresh(admin_user)) == frozenset()  # a superuser without a profile
    assert hidden_team_ids(fresh(integration_user)) == frozenset()  # docs/security.md
    admin_agent = AgentFactory(role="admin")
    assert hidden_team_ids(fresh(admin_agent.user)) == frozenset()


def test_it_reads_the_hidden_teams_once_per_request(vault, other_agent):
    user = fresh(other_agent.user)
    hidden_team_ids(user)
    with CaptureQueriesContext(connection) as queries:
        assert hidden_team_ids(user) == {vault.pk}
    assert len(queries) == 0


def test_supervisors_cost_no_query_for_it(supervisor, vault):
    user = fresh(supervisor.user)
    agent_for(user)  # their profile, read by every request's role check anyway
    with CaptureQueriesContext(connection) as queries:
        assert hidden_team_ids(user) == frozenset()
    assert len(queries) == 0


def test_agent_may_see_for_notices_and_assignment(vault, agent, other_agent, supervisor):
    assert agent_may_see(agent, vault.pk)
    assert not agent_may_see(other_agent, vault.pk)
    assert agent_may_see(supervisor, vault.pk)
    assert agent_may_see(other_agent, None)
    assert agent_may_see(other_agent, Team.objects.create(name="Open").pk)
    everyone = agents_who_may_see(type(agent).objects.all(), vault.pk)
    assert set(everyone) == {agent, supervisor}


# --- reads -----------------------------------------------------------------------------------


def test_the_selectors_leave_out_a_hidden_ticket_and_answer_404(secret, plain, agent, other_agent):
    from django.http import Http404

    assert set(tickets_for_user(fresh(other_agent.user))) == {plain}
    assert set(tickets_for_user(fresh(agent.user))) == {plain, secret}
    with pytest.raises(Http404):
        get_ticket_for_user(fresh(other_agent.user), secret.pk)
    assert get_ticket_for_user(fresh(agent.user), secret.pk) == secret


def test_the_queue_its_search_and_its_number_lookup_leave_it_out(secret, plain, other_agent, agent):
    outsider, member = fresh(other_agent.user), fresh(agent.user)
    for filters in ({}, {"q": "quokka"}, {"q": f"#{secret.pk}"}, {"q": str(secret.pk)}):
        shown = set(tickets_for_queue(user=outsider, view="all", filters=filters))
        assert secret not in shown, filters
        assert secret in set(tickets_for_queue(user=member, view="all", filters=filters)), filters


def test_the_api_list_search_and_detail_hide_it(secret, plain, other_agent, agent):
    outsider, member = api_client_for(other_agent.user), api_client_for(agent.user)

    def ids(client, query=""):
        response = client.get(f"/api/support/tickets{query}")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(outsider) == {plain.pk}
    assert ids(outsider, "?search=quokka") == {plain.pk}
    assert ids(member, "?search=quokka") == {plain.pk, secret.pk}
    assert outsider.get(f"/api/support/tickets/{secret.pk}").status_code == 404
    assert member.get(f"/api/support/tickets/{secret.pk}").status_code == 200


def test_hidden_matches_take_no_place_among_the_search_candidates(vault, category, other_agent, settings):
    """Search ranks the newest TICKET_SEARCH_CANDIDATES matches: newer matches of a hidden
    team must not crowd the outsider's own older match out of them."""
    settings.TICKET_SEARCH_CANDIDATES = 2
    now = timezone.now()
    visible = TicketFactory(category=category, subject="Older quokka", created_at=now - timedelta(days=3))
    for days in (0, 1, 2):
        TicketFactory(category=category, team=vault, subject="Newer quokka", created_at=now - timedelta(hours=days))
    outsider = api_client_for(other_agent.user)
    response = outsider.get("/api/support/tickets?search=quokka")
    assert [row["id"] for row in response.json()["results"]] == [visible.pk]
    shown = list(tickets_for_queue(user=fresh(other_agent.user), view="all", filters={"q": "quokka"}))
    assert shown == [visible]


def test_integrations_see_every_team(secret, integration_user):
    response = api_client_for(integration_user).get(f"/api/support/tickets/{secret.pk}")
    assert response.status_code == 200


def test_the_list_of_a_plain_agent_costs_one_query_more_than_a_supervisors(secret, plain, other_agent, supervisor):
    """The one read of the hidden teams, on a table of a few rows: what the rule costs."""

    def count(user) -> int:
        client = api_client_for(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/support/tickets").status_code == 200
        return len(queries)

    assert count(other_agent.user) == count(supervisor.user) + 1


def test_the_ticket_pages_other_tickets_of_the_customer_leave_it_out(secret, agent, other_agent, category, client):
    mine = TicketFactory(category=category, customer_email=secret.customer_email, subject="Visible sibling")
    client.force_login(other_agent.user)
    page = client.get(f"/agent/tickets/{mine.pk}").content.decode()
    assert "Visible sibling" in page
    assert secret.subject not in page


# --- assignment --------------------------------------------------------------------------------


def test_it_refuses_to_assign_a_restricted_ticket_to_a_non_member(secret, other_agent, supervisor):
    with pytest.raises(NotATeamMember):
        ticket_assign(ticket=secret, agent=other_agent, actor=actor_for(supervisor.user))
    secret.refresh_from_db()
    assert secret.assigned_agent is None


def test_the_api_answers_400_naming_the_agent(secret, other_agent, supervisor, agent):
    client = api_client_for(supervisor.user)
    response = client.post(f"/api/support/tickets/{secret.pk}/assign", {"agent": other_agent.pk}, format="json")
    assert response.status_code == 400
    assert "agent" in response.json()
    response = client.post(f"/api/support/tickets/{secret.pk}/assign", {"agent": agent.pk}, format="json")
    assert response.status_code == 200


def test_the_ticket_page_offers_only_who_may_see_it_and_says_why_it_refused(secret, other_agent, supervisor, client):
    client.force_login(supervisor.user)
    page = client.get(f"/agent/tickets/{secret.pk}").content.decode()
    assert f'value="{other_agent.pk}"' not in page
    response = client.post(f"/agent/tickets/{secret.pk}/assign", {"agent": other_agent.pk}, follow=True)
    assert "not a member" in response.content.decode()
    assert Ticket.objects.get(pk=secret.pk).assigned_agent is None


def test_auto_assignment_picks_only_members(secret, agent, other_agent):
    from django.utils import timezone

    assert candidate_agents(ticket=secret, now=timezone.now()) == [agent]


# --- notices ---------------------------------------------------------------------------------


def test_a_customer_reply_notice_is_not_sent_to_an_assignee_outside_the_team(secret, other_agent, vault):
    from tickets.notices import notify_agent_of_customer_reply

    Ticket.objects.filter(pk=secret.pk).update(assigned_agent=other_agent)  # before the team became restricted
    secret.refresh_from_db()
    notify_agent_of_customer_reply(secret, MessageFactory(ticket=secret))
    assert not Notification.objects.filter(user=other_agent.user).exists()


def test_an_assignment_notice_reaches_a_member(secret, agent):
    ticket_assign(ticket=secret, agent=agent, actor=SYSTEM)
    assert set(Notification.objects.filter(user=agent.user).values_list("channel", flat=True)) == {
        Channel.EMAIL,
        Channel.DASHBOARD,
    }


def test_the_inbox_drops_notices_of_hidden_tickets(secret, plain, other_agent, client):
    for ticket in (secret, plain):
        Notification.objects.create(
            channel=Channel.DASHBOARD,
            recipient="other",
            user=other_agent.user,
            kind="ticket.assigned",
            payload={"title": f"About {ticket.subject}", "ticket_id": ticket.pk, "url": "/"},
            status="sent",
        )
    Notification.objects.create(
        channel=Channel.DASHBOARD, recipient="other", user=other_agent.user, kind="note", payload={"title": "No ticket"}
    )
    user = fresh(other_agent.user)
    assert {n.payload["title"] for n in inbox(user)} == {f"About {plain.subject}", "No ticket"}

    api = api_client_for(other_agent.user).get("/api/support/notifications").json()
    assert {row["ticket_id"] for row in api["results"]} == {plain.pk, None}
    client.force_login(other_agent.user)
    page = client.get("/agent/notifications").content.decode()
    assert plain.subject in page
    assert secret.subject not in page


def test_alerts_written_before_a_ticket_moved_into_a_restricted_team_are_withheld_when_sent(
    secret, plain, agent, other_agent, supervisor, mailoutbox
):
    """An SLA alert is written for whoever may see the ticket then; by the time it is sent the
    ticket may be a restricted team's: the outsider's email and notice are withheld (dead,
    with the reason), the member's and the supervisor's go, and so does every row about a
    ticket of no team. Batch and single sends alike."""
    from notifications.delivery import WITHHELD, notification_deliver, notifications_deliver_due

    def alert(person, ticket, channel):
        return Notification.objects.create(
            channel=channel,
            recipient=person.email if channel == Channel.EMAIL else person.user.username,
            user=person.user,
            kind="sla.violation.first_response",
            payload={"ticket_id": ticket.pk, "due_at": timezone.now().isoformat()},
        )

    outsider = [alert(other_agent, secret, channel) for channel in (Channel.EMAIL, Channel.DASHBOARD)]
    allowed = [alert(person, secret, Channel.EMAIL) for person in (agent, supervisor)]
    unrestricted = alert(other_agent, plain, Channel.EMAIL)
    single = alert(other_agent, secret, Channel.EMAIL)

    assert notification_deliver(notification_id=single.pk) == "dead"
    with CaptureQueriesContext(connection) as reads:
        notifications_deliver_due()

    for row in [*outsider, single]:
        row.refresh_from_db()
        assert (row.status, row.last_error) == ("dead", WITHHELD)
    for row in [*allowed, unrestricted]:
        row.refresh_from_db()
        assert row.status == "sent", row.last_error
    assert sorted(message.to[0] for message in mailoutbox) == sorted([agent.email, supervisor.email, other_agent.email])
    assert sum("agents_team" in query["sql"] for query in reads) <= 2  # the batch's check, not one per row
