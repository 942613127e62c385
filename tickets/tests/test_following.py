"""Followers and @mentions (issue 22, point 6): followers are told of a ticket's changes
in-app (and by email when they asked), never of their own; a note's @username tells that
agent, only if they may see the ticket; the ticket page and the API follow and unfollow."""

from __future__ import annotations

import pytest

from agents.models import Team
from agents.roles import actor_for, customer_actor
from agents.tests.factories import AgentFactory
from notifications.models import Channel, Notification
from tickets import services
from tickets.assignment import ticket_assign
from tickets.ccs import ticket_cc_add
from tickets.following import MENTIONS_MAX, highlight_mentions, mentioned_names, ticket_follow
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def in_app(agent) -> list[str]:
    return list(
        Notification.objects.filter(user=agent.user, channel=Channel.DASHBOARD)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def emails(agent) -> list[Notification]:
    return list(Notification.objects.filter(recipient=agent.email, channel=Channel.EMAIL).order_by("id"))


@pytest.fixture
def followed(category, agent, other_agent):
    """A ticket `other_agent` follows, assigned to nobody."""
    ticket = TicketFactory(category=category, status="open", customer_email="cleo@example.org")
    ticket_follow(ticket=ticket, agent=other_agent)
    return ticket


def test_followers_are_told_of_each_change_in_app(followed, agent, other_agent, supervisor):
    actor = actor_for(agent.user)

    services.ticket_update(ticket=followed, actor=actor, priority="high")
    services.ticket_update(ticket=followed, actor=actor, status="pending")
    ticket_assign(ticket=followed, agent=supervisor, actor=actor)
    services.message_create(ticket=followed, body="We are on it.", actor=actor)
    services.message_create(ticket=followed, body="Checked the logs.", internal=True, actor=actor)
    services.message_create(ticket=followed, body="Any news?", actor=customer_actor("Cleo", "cleo@example.org"))

    assert in_app(other_agent) == [
        "ticket.follow.priority",
        "ticket.follow.status",
        "ticket.follow.assignee",
        "ticket.follow.reply",
        "ticket.follow.note",
        "ticket.follow.customer_reply",
    ]
    titles = list(
        Notification.objects.filter(user=other_agent.user).order_by("id").values_list("payload__title", flat=True)
    )
    assert titles[0] == f"Agnes Agent changed the priority of #{followed.pk} to high."
    assert titles[2] == f"Agnes Agent assigned #{followed.pk} to Sue Supervisor."
    assert emails(other_agent) == []  # follow_by_email is off


def test_a_follower_is_not_told_of_their_own_change(followed, other_agent):
    services.ticket_update(ticket=followed, actor=actor_for(other_agent.user), priority="urgent")
    services.message_create(ticket=followed, body="Mine.", actor=actor_for(other_agent.user))

    assert in_app(other_agent) == []


def test_a_follower_who_asked_is_emailed_too_in_their_language(followed, agent, other_agent):
    other_agent.follow_by_email = True
    other_agent.language = "en"
    other_agent.save()

    services.ticket_update(ticket=followed, actor=actor_for(agent.user), status="pending")

    (email,) = emails(other_agent)
    assert email.kind == "ticket.follow.status"
    assert f"Agnes Agent changed the status of #{followed.pk} to pending." in email.payload["text"]
    assert f"/agent/tickets/{followed.pk}" in email.payload["text"]


def test_the_assignee_who_follows_is_told_of_a_customer_reply_once(category, agent):
    ticket = TicketFactory(category=category, status="open", assigned_agent=agent)
    ticket_follow(ticket=ticket, agent=agent)

    services.message_create(ticket=ticket, body="Hello?", actor=customer_actor("Cleo", ticket.customer_email))

    assert in_app(agent) == ["ticket.customer_reply"]


def test_a_ccs_message_tells_followers_who_wrote(followed, other_agent):
    (cc,) = ticket_cc_add(ticket=followed, emails=["bob@example.org"], actor=actor_for(other_agent.user), notify=False)

    services.message_create(ticket=followed, body="Me too.", actor=customer_actor("Bob", cc.email), cc=cc)

    (title,) = Notification.objects.filter(user=other_agent.user).values_list("payload__title", flat=True)
    assert title == f"Bob wrote on #{followed.pk}."


def test_a_follower_who_may_not_see_the_ticket_is_not_told(followed, agent, other_agent, supervisor):
    # The ticket moves into a restricted team Otto is not in: he follows it, but may no
    # longer see it (tickets.visibility), so he is told nothing of it.
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent)
    Ticket.objects.filter(pk=followed.pk).update(team=vault)
    followed.refresh_from_db()
    supervisor_follows = ticket_follow(ticket=followed, agent=supervisor)

    services.ticket_update(ticket=followed, actor=actor_for(agent.user), priority="low")

    assert supervisor_follows
    assert in_app(other_agent) == []
    assert in_app(supervisor) == ["ticket.follow.priority"]


# --- Mentions ----------------------------------------------------------------------------


def test_mentions_are_read_safely():
    text = "Ask @Other and @supervisor. Mail bob@example.org, not @@x; @other again, @no-such-agent."

    assert mentioned_names(text) == ["other", "supervisor", "no-such-agent"]
    assert len(mentioned_names(" ".join(f"@user{n}" for n in range(50)))) == MENTIONS_MAX


def test_a_note_mentioning_agents_tells_those_who_may_see_it(category, agent, other_agent, supervisor):
    # A restricted team's ticket: Hanna is not in the team, so her mention tells her nothing.
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent, other_agent)
    ticket = TicketFactory(category=category, status="open", team=vault)
    hidden = AgentFactory(user__username="hidden", name="Hidden Hanna")
    supervisor.follow_by_email = True
    supervisor.save()

    services.message_create(
        ticket=ticket,
        body="@other @SUPERVISOR @hidden @agent @nobody please look at this.",
        internal=True,
        actor=actor_for(agent.user),
    )

    assert in_app(other_agent) == ["ticket.mention"]
    assert in_app(supervisor) == ["ticket.mention"]
    assert in_app(hidden) == []
    assert in_app(agent) == []  # the author
    (email,) = emails(supervisor)
    assert "please look at this." in email.payload["text"]
    assert emails(other_agent) == []


def test_a_mentioned_follower_is_told_once(followed, agent, other_agent):
    services.message_create(ticket=followed, body="@other see above", internal=True, actor=actor_for(agent.user))

    assert in_app(other_agent) == ["ticket.mention"]


def test_a_public_reply_mentions_nobody(category, agent, other_agent):
    ticket = TicketFactory(category=category, status="open")

    services.message_create(ticket=ticket, body="Thanks @other", actor=actor_for(agent.user))

    assert in_app(other_agent) == []


def test_mentions_are_highlighted_in_escaped_text():
    html = highlight_mentions("<b>@other</b> & @nobody, @other.", {"other"})

    assert html == (
        '&lt;b&gt;<strong class="mention">@other</strong>&lt;/b&gt; &amp; @nobody, '
        '<strong class="mention">@other</strong>.'
    )


# --- Pages and the API -------------------------------------------------------------------


def test_an_agent_follows_and_unfollows_from_the_ticket_page(client, category, agent, other_agent):
    ticket = TicketFactory(category=category)
    client.force_login(agent.user)

    assert client.post(f"/agent/tickets/{ticket.pk}/follow").status_code == 302
    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert list(ticket.followers.all()) == [agent]
    assert "Stop following" in page and "Agnes Agent</li>" in page

    client.post(f"/agent/tickets/{ticket.pk}/follow", {"unfollow": "1"})
    assert not ticket.followers.exists()


def test_an_agent_adds_and_removes_ccs_on_the_ticket_page(client, category, agent):
    ticket = TicketFactory(category=category, customer_email="cleo@example.org")
    client.force_login(agent.user)

    client.post(f"/agent/tickets/{ticket.pk}/cc", {"cc": "bob@example.org, carol@example.org"})
    refused = client.post(f"/agent/tickets/{ticket.pk}/cc", {"cc": "cleo@example.org"}, follow=True)
    page = refused.content.decode()

    assert list(ticket.ccs.values_list("email", flat=True)) == ["bob@example.org", "carol@example.org"]
    assert "cc: cleo@example.org is the customer&#x27;s own address" in page
    bob = ticket.ccs.get(email="bob@example.org")
    client.post(f"/agent/tickets/{ticket.pk}/cc/{bob.pk}/remove")
    assert list(ticket.ccs.values_list("email", flat=True)) == ["carol@example.org"]
    history = client.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert "removed bob@example.org" in history


def test_the_ticket_page_highlights_mentions_of_agents(client, category, agent, other_agent):
    ticket = TicketFactory(category=category, status="open")
    services.message_create(
        ticket=ticket, body="@other <script>x</script> @ghost", internal=True, actor=actor_for(agent.user)
    )
    client.force_login(agent.user)

    page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert '<strong class="mention">@other</strong> &lt;script&gt;x&lt;/script&gt; @ghost' in page


def test_the_api_follows_and_unfollows(category, agent_api, agent, integration_api):
    ticket = TicketFactory(category=category)
    url = f"/api/support/tickets/{ticket.pk}/follow"

    followed = agent_api.post(url)
    assert followed.status_code == 200
    assert followed.json() == {"following": True, "followers": [{"id": agent.pk, "name": "Agnes Agent"}]}
    assert integration_api.get(url).json()["following"] is False
    assert integration_api.post(url).status_code == 403
    assert agent_api.delete(url).json() == {"following": False, "followers": []}


def test_an_agent_chooses_email_for_followed_tickets(client, agent):
    client.force_login(agent.user)

    client.post("/agent/notifications/preferences", {"follow_by_email": "on"})
    agent.refresh_from_db()
    assert agent.follow_by_email
    assert "checked" in client.get("/agent/notifications").content.decode()

    client.post("/agent/notifications/preferences", {})
    agent.refresh_from_db()
    assert not agent.follow_by_email


def test_followers_are_told_of_a_new_team_and_a_new_customer(followed, agent, other_agent):
    billing = Team.objects.create(name="Billing")
    actor = actor_for(agent.user)

    services.ticket_update(ticket=followed, actor=actor, team=billing)
    services.ticket_change_customer(ticket=followed, email="dora@example.org", actor=actor)

    assert in_app(other_agent) == ["ticket.follow.team", "ticket.follow.customer"]
    titles = list(
        Notification.objects.filter(user=other_agent.user).order_by("id").values_list("payload__title", flat=True)
    )
    assert titles == [
        f"Agnes Agent moved #{followed.pk} to the team Billing.",
        f"Agnes Agent moved #{followed.pk} to the customer dora@example.org.",
    ]


def test_who_of_the_followers_may_see_is_one_question_however_many_follow(category, agent):
    """A restricted team's ticket: its members among the followers are told, the others not,
    and asking who may see it costs one query for 3 followers as for 12."""
    from tickets.following import notify_followers

    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent)
    ticket = TicketFactory(category=category, status="open", team=vault)
    actor = actor_for(agent.user)

    def count_with(followers: int) -> tuple[int, list]:
        ticket.followers.clear()
        members = AgentFactory.create_batch(followers // 3)
        vault.members.add(*members)
        outsiders = AgentFactory.create_batch(followers - len(members))
        ticket.followers.add(*members, *outsiders)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            told = notify_followers(ticket=ticket, actor=actor, change="status")
        reads = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        return len(reads), sorted(a.pk for a in told), sorted(a.pk for a in members)

    few_reads, few_told, few_members = count_with(3)
    many_reads, many_told, many_members = count_with(12)
    assert few_told == few_members and many_told == many_members
    assert few_reads == many_reads == 1
