"""Issue 24, point 5: who else is viewing a ticket or typing a reply (workspace/presence.py),
kept in the project's Redis with expiry, shown by the ticket page's activity poll."""

from __future__ import annotations

import logging
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection

from agents.models import Team
from agents.tests.factories import AgentFactory
from tickets.tests.factories import MessageFactory, TicketFactory
from workspace import presence
from workspace.presence import TYPING, VIEWING, presence_mark, presence_read

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def redis_cache(settings):
    """The default cache on Redis: the one configured (make test-pg), else the test Redis of
    the Makefile (make test runs on the local-memory cache; presence needs a Redis)."""
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
                "KEY_PREFIX": f"helpdesk-test-{os.getpid()}",
                "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            }
        }
    get_redis_connection("default").ping()


def poll(client, ticket, since: int = 0) -> str:
    response = client.get(f"/agent/tickets/{ticket.pk}/activity?since={since}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def as_user(client, person):
    """Sign in an agent (or a plain user)."""
    client.force_login(getattr(person, "user", person))
    return client


def test_a_viewer_is_present_until_their_time_passes_and_is_then_pruned(agent):
    ticket = TicketFactory()
    redis = get_redis_connection("default")
    key = presence._key(ticket.pk)

    assert presence_mark(ticket_id=ticket.pk, user_id=7, state=VIEWING, now=1000.0) == {7: VIEWING}
    assert presence_read(ticket_id=ticket.pk, now=1000.0 + presence.VIEWING_SECONDS - 1) == {7: VIEWING}
    assert presence_read(ticket_id=ticket.pk, now=1000.0 + presence.VIEWING_SECONDS + 1) == {}

    # The next write removes what has expired: only the new reader is left in the set.
    presence_mark(ticket_id=ticket.pk, user_id=8, state=VIEWING, now=1100.0)
    assert redis.zrange(key, 0, -1) == [b"8:viewing"]
    assert 0 < redis.ttl(key) <= presence.KEY_SECONDS


def test_typing_expires_sooner_than_viewing(agent):
    ticket = TicketFactory()

    assert presence_mark(ticket_id=ticket.pk, user_id=7, state=TYPING, now=1000.0) == {7: TYPING}
    assert presence_read(ticket_id=ticket.pk, now=1000.0 + presence.TYPING_SECONDS + 1) == {7: VIEWING}


def test_the_poll_shows_the_others_viewing_and_typing_but_never_yourself(client, agent, other_agent, supervisor):
    ticket = TicketFactory()

    alone = poll(as_user(client, agent), ticket)
    assert "is viewing" not in alone and "Agnes Agent" not in alone
    poll(as_user(client, supervisor), ticket)
    assert as_user(client, other_agent).post(f"/agent/tickets/{ticket.pk}/typing").status_code == 204

    seen = poll(as_user(client, agent), ticket)

    assert "Otto Other is typing a reply" in seen
    assert "Sue Supervisor is viewing" in seen
    assert seen.index("Otto Other") < seen.index("Sue Supervisor")  # by name
    assert "Agnes Agent" not in seen
    assert 'hx-swap-oob="true"' in seen


def test_the_ticket_page_polls_for_presence_and_loads_the_typing_script(client, agent):
    ticket = TicketFactory()

    page = as_user(client, agent).get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert 'hx-trigger="load, every 10s"' in page
    assert f'data-typing-url="/agent/tickets/{ticket.pk}/typing"' in page
    assert "/static/js/presence.js" in page


def test_names_are_escaped(client, agent):
    ticket = TicketFactory()
    mallory = AgentFactory(name="<img src=x onerror=alert(1)>")
    poll(as_user(client, mallory.user), ticket)

    seen = poll(as_user(client, agent), ticket)

    assert "<img src=x" not in seen and "&lt;img src=x onerror=alert(1)&gt; is viewing" in seen


def test_a_restricted_teams_ticket_shows_and_takes_no_presence_of_outsiders(client, agent, other_agent):
    ticket = TicketFactory()
    poll(as_user(client, other_agent), ticket)  # before the ticket moved to the team
    vault = Team.objects.create(name="Vault", restricted=True)
    vault.members.add(agent)
    ticket.team = vault
    ticket.save()

    outsider = as_user(client, other_agent)
    assert outsider.post(f"/agent/tickets/{ticket.pk}/typing").status_code == 404
    assert outsider.get(f"/agent/tickets/{ticket.pk}/activity").status_code == 404

    seen = poll(as_user(client, agent), ticket)
    assert "Otto Other" not in seen
    assert presence_read(ticket_id=ticket.pk) == {other_agent.user_id: VIEWING, agent.user_id: VIEWING}


def test_typing_is_for_agents_by_post_only(client, agent, integration_user):
    ticket = TicketFactory()

    assert client.post(f"/agent/tickets/{ticket.pk}/typing").status_code == 302  # to sign in
    assert as_user(client, agent).get(f"/agent/tickets/{ticket.pk}/typing").status_code == 405
    assert as_user(client, integration_user).post(f"/agent/tickets/{ticket.pk}/typing").status_code == 403
    assert presence_read(ticket_id=ticket.pk) == {}


def test_the_replied_meanwhile_warning_stays_beside_presence(client, agent, other_agent):
    ticket = TicketFactory()
    mine = MessageFactory(ticket=ticket, author_agent=agent)
    poll(as_user(client, other_agent), ticket)
    MessageFactory(ticket=ticket, author_agent=other_agent, author_name="Otto Other")

    seen = poll(as_user(client, agent), ticket, since=mine.pk)

    assert "Since you opened this page, Otto Other (agent) replied." in seen
    assert "Otto Other is viewing" in seen


def test_redis_down_leaves_the_ticket_page_working(client, agent, settings, closed_port, caplog):
    ticket = TicketFactory()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    as_user(client, agent)

    with caplog.at_level(logging.WARNING, logger="workspace.presence"):
        page = client.get(f"/agent/tickets/{ticket.pk}")
        seen = poll(client, ticket)
        typing = client.post(f"/agent/tickets/{ticket.pk}/typing")

    assert page.status_code == 200 and typing.status_code == 204
    assert "is viewing" not in seen
    assert any("presence unavailable" in record.getMessage() for record in caplog.records)


def test_without_redis_presence_is_off(client, agent, settings):
    ticket = TicketFactory()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert presence_mark(ticket_id=ticket.pk, user_id=agent.user_id, state=VIEWING) is None
    assert "is viewing" not in poll(as_user(client, agent), ticket)


def test_the_poll_costs_the_same_for_one_and_ten_others_present(client, agent):
    ticket = TicketFactory()
    first = AgentFactory()
    presence_mark(ticket_id=ticket.pk, user_id=first.user_id, state=VIEWING)
    as_user(client, agent)
    poll(client, ticket)  # the session and the agent's profile are read once
    with CaptureQueriesContext(connection) as one:
        assert "is viewing" in poll(client, ticket)
    for _ in range(9):
        presence_mark(ticket_id=ticket.pk, user_id=AgentFactory().user_id, state=TYPING)
    with CaptureQueriesContext(connection) as ten:
        assert poll(client, ticket).count("is typing a reply") == 9

    assert len(ten) == len(one), (len(one), len(ten))
    assert len(one) > 0
