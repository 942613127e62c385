"""Issue 7: the agent workspace pages — access, constant queries, controls, clocks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.tests.factories import AgentFactory
from sla.tests.factories import SLAPolicyFactory
from tickets.links import private_token
from tickets.models import Ticket
from tickets.tests.factories import MessageFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db

AGENT_PAGES = ["/agent/", "/agent/tickets/{id}", "/agent/notifications", "/agent/dashboard"]


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def count(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries), response.content.decode()


@pytest.mark.parametrize("page", AGENT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    ticket = TicketFactory()

    response = client.get(page.format(id=ticket.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/agent/")


def test_a_non_supervisor_agent_gets_403_on_the_dashboard(signed_in):
    assert signed_in.get("/agent/dashboard").status_code == 403


def test_a_supervisor_sees_the_dashboard(client, supervisor):
    client.force_login(supervisor.user)
    page = client.get("/agent/dashboard").content.decode()

    assert "SLA compliance per day" in page and "Agent load" in page and "CSAT per week" in page


def test_users_who_are_not_agents_get_403(client, integration_user):
    client.force_login(integration_user)

    assert client.get("/agent/").status_code == 403


def test_the_private_link_shows_no_agent_controls(client):
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, internal=True, body="secret note")

    page = client.get(f"/portal/tickets/{private_token(ticket)}/").content.decode()

    for control in ("Internal note", "Assignee", "/agent/", "Take it", "secret note", 'name="status"'):
        assert control not in page


def test_the_queue_costs_the_same_for_1_and_25_tickets(signed_in, agent, category):
    tags = [TagFactory(name="vip"), TagFactory(name="refund")]
    policy = SLAPolicyFactory()
    ticket = TicketFactory(category=category, assigned_agent=agent, sla_policy=policy)
    ticket.tags.set(tags)
    one, _ = count(signed_in, "/agent/?view=open")
    for index in range(24):
        other = TicketFactory(
            category=category, assigned_agent=AgentFactory(specializations=[category]), sla_policy=policy
        )
        other.tags.set(tags[: index % 2 + 1])
    many, page = count(signed_in, "/agent/?view=open")

    assert len(re.findall(r'href="/agent/tickets/\d', page)) == 25  # not the navigation's "New ticket"
    assert one == many


def test_the_ticket_page_costs_the_same_for_1_and_40_messages(signed_in, agent):
    small, large = TicketFactory(), TicketFactory()
    MessageFactory(ticket=small, author_agent=agent)
    for index in range(40):
        MessageFactory(ticket=large, author_agent=agent, internal=index % 4 == 0)

    few, _ = count(signed_in, f"/agent/tickets/{small.pk}")
    many, page = count(signed_in, f"/agent/tickets/{large.pk}")

    assert page.count('class="message from-agent') == 40
    assert few == many


def test_views_and_filters(signed_in, agent, other_agent, category):
    TicketFactory(subject="Mine", assigned_agent=agent, status="open", priority="urgent")
    TicketFactory(subject="Theirs", assigned_agent=other_agent, status="open")
    TicketFactory(subject="Nobody's", status="new")
    TicketFactory(subject="Solved", assigned_agent=agent, status="resolved")

    def subjects(query):
        page = signed_in.get(f"/agent/?{query}").content.decode()
        return {s for s in ("Mine", "Theirs", "Nobody's", "Solved") if f">{s}</a>" in page.replace("&#x27;", "'")}

    assert subjects("view=mine") == {"Mine"}
    assert subjects("view=unassigned") == {"Nobody's"}
    assert subjects("view=open") == {"Mine", "Theirs", "Nobody's"}
    assert subjects("view=all") == {"Mine", "Theirs", "Nobody's", "Solved"}
    assert subjects("view=open&priority=urgent") == {"Mine"}
    assert subjects(f"view=open&assignee={other_agent.pk}") == {"Theirs"}
    assert subjects("view=all&q=Solved") == {"Solved"}


def test_the_queue_refreshes_itself_with_a_partial(signed_in):
    TicketFactory(subject="Fresh")

    full = signed_in.get("/agent/?view=open").content.decode()
    partial = signed_in.get("/agent/?view=open", HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 30s"' in full
    assert "Fresh" in partial and "<html" not in partial


def test_sla_badges_say_breached_or_at_risk_in_words(signed_in, category):
    now = timezone.now()
    policy = SLAPolicyFactory()
    breached = TicketFactory(
        subject="Late one", sla_policy=policy, status="open",
        first_response_due_at=now - timedelta(minutes=30), first_response_at_risk_at=now - timedelta(hours=1),
    )  # fmt: skip
    TicketFactory(
        subject="Close one", sla_policy=policy, status="open",
        first_response_due_at=now + timedelta(minutes=30), first_response_at_risk_at=now - timedelta(minutes=5),
    )  # fmt: skip

    queue = signed_in.get("/agent/?view=sla").content.decode()
    page = signed_in.get(f"/agent/tickets/{breached.pk}").content.decode()

    assert "Breached: first response 30m late" in queue or "Breached: first response 29m late" in queue
    assert "At risk: first response due in" in queue
    assert "sla-breached" in page and "Breached: first response" in page


def test_only_allowed_statuses_are_offered_and_a_refused_change_says_why(signed_in):
    ticket = TicketFactory(status="new")

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert '<option value="closed"' not in page
    assert '<option value="resolved"' in page

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/change", {"status": "closed", "priority": "normal", "category": "general"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_changing_status_priority_and_tags(signed_in):
    ticket = TicketFactory(status="new")

    response = signed_in.post(
        f"/agent/tickets/{ticket.pk}/change",
        {"status": "pending", "priority": "high", "category": "general", "tags": "vip, Refund"},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("pending", "high")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]


def test_replies_and_notes_from_the_page(signed_in):
    ticket = TicketFactory(status="new")

    signed_in.post(f"/agent/tickets/{ticket.pk}/reply", {"body": "Checking now", "internal": "on"})
    signed_in.post(f"/agent/tickets/{ticket.pk}/reply", {"body": "Here is the fix"})

    notes = list(ticket.messages.values_list("body", "internal"))
    assert notes == [("Checking now", True), ("Here is the fix", False)]
    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert "Internal note" in page


def test_assigning_respects_capacity_and_supervisors_may_override(client, agent, other_agent, supervisor):
    other_agent.max_tickets = 1
    other_agent.save()
    TicketFactory(assigned_agent=other_agent, status="open")
    ticket = TicketFactory()
    client.force_login(agent.user)

    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert f'<option value="{other_agent.pk}"  disabled>' in page
    refused = client.post(f"/agent/tickets/{ticket.pk}/assign", {"agent": other_agent.pk}, follow=True)
    assert "already has 1 open tickets of 1" in refused.content.decode()
    client.post(f"/agent/tickets/{ticket.pk}/assign", {"agent": "me"})
    assert Ticket.objects.get(pk=ticket.pk).assigned_agent == agent

    client.force_login(supervisor.user)
    client.post(f"/agent/tickets/{ticket.pk}/assign", {"agent": other_agent.pk, "override": "on"})
    assert Ticket.objects.get(pk=ticket.pk).assigned_agent == other_agent


def test_a_warning_appears_when_someone_else_replied(signed_in, agent, other_agent):
    ticket = TicketFactory()
    mine = MessageFactory(ticket=ticket, author_agent=agent)

    quiet = signed_in.get(f"/agent/tickets/{ticket.pk}/activity?since={mine.pk}").content.decode()
    MessageFactory(ticket=ticket, author_agent=other_agent, author_name="Otto Other")
    noisy = signed_in.get(f"/agent/tickets/{ticket.pk}/activity?since={mine.pk}").content.decode()

    assert "replied" not in quiet
    assert "Otto Other (agent) replied" in noisy


def test_the_bell_counts_unread_notifications_and_they_can_be_read(signed_in, agent):
    from notifications.services import notification_enqueue

    notification_enqueue(
        channel="dashboard", recipient="agent", user=agent.user, kind="t", payload={"title": "Look", "ticket_id": 1}
    )

    assert 'aria-label="1 unread"' in signed_in.get("/agent/").content.decode()
    signed_in.post("/agent/notifications/read")
    assert "unread" not in signed_in.get("/agent/").content.decode().split("</header>")[0]


def test_login_is_throttled_after_repeated_failures(client, agent, settings):
    settings.LOGIN_RATE = "3/15m"

    statuses = [client.post("/accounts/login/", {"login": "agent", "password": "wrong"}).status_code for _ in range(4)]

    assert statuses == [200, 200, 429, 429]  # the third failure locks


def test_agents_sign_in_and_land_on_the_queue(client, agent):
    response = client.post("/accounts/login/", {"login": "agent", "password": "password"})

    assert response.status_code == 302 and response["Location"] == "/agent/"


def test_password_reset_sends_an_email_with_a_working_link(client, agent):
    from django.core import mail

    client.post("/accounts/password_reset/", {"email": agent.user.email})

    [email] = mail.outbox
    link = next(line for line in email.body.splitlines() if "/accounts/reset/" in line).split("testserver", 1)[1]
    page = client.get(link, follow=True)
    assert "Choose a new password" in page.content.decode()


def test_tags_in_any_alphabet_can_be_set_from_the_page(signed_in):
    ticket = TicketFactory(status="new")

    signed_in.post(
        f"/agent/tickets/{ticket.pk}/change",
        {"status": "new", "priority": "normal", "category": "general", "tags": "возврат, vip"},
    )

    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vip", "возврат"]


def test_a_ticket_number_finds_the_ticket_and_sorting_applies_to_searches(signed_in):
    low = TicketFactory(subject="Refund low", priority="low")
    urgent = TicketFactory(subject="Refund urgent", priority="urgent")

    by_number = signed_in.get(f"/agent/?view=all&q=%23{low.pk}").content.decode()
    sorted_search = signed_in.get("/agent/?view=all&q=refund&sort=priority").content.decode()

    assert f'href="/agent/tickets/{low.pk}"' in by_number and f'href="/agent/tickets/{urgent.pk}"' not in by_number
    assert sorted_search.index("Refund urgent") < sorted_search.index("Refund low")


def test_a_closed_ticket_offers_no_reply_form(signed_in):
    ticket = TicketFactory(status="closed")

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert "it takes no more messages" in page
    assert 'name="body"' not in page


def test_a_refused_assignment_is_shown_as_an_error(signed_in, other_agent):
    other_agent.max_tickets = 1
    other_agent.save()
    TicketFactory(assigned_agent=other_agent, status="open")
    ticket = TicketFactory()

    page = signed_in.post(f"/agent/tickets/{ticket.pk}/assign", {"agent": other_agent.pk}, follow=True).content.decode()

    assert '<li class="error">' in page


def test_times_are_shown_in_the_agents_time_zone(client, agent):
    from datetime import UTC, datetime

    agent.timezone = "Asia/Tokyo"
    agent.save()
    ticket = TicketFactory(created_at=datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    client.force_login(agent.user)

    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert "30 Nov 2026, 10:00 JST" in page


def test_the_notifications_page_sets_the_unread_marker_and_its_forms_apart(client, agent):
    from notifications.models import Channel, Notification

    Notification.objects.create(
        channel=Channel.DASHBOARD, recipient=agent.user.username, user=agent.user, kind="ticket.mentioned",
        payload={"title": "Chen Wei mentioned you"}, status="sent",
    )  # fmt: skip
    client.force_login(agent.user)

    page = client.get("/agent/notifications").content.decode()

    assert 'class="notification-actions"' in page and 'class="notification-preferences"' in page
    assert '<strong class="unread-marker">New</strong>' in page
