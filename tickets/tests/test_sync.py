"""Issue 25, point 4: incremental sync. Tickets, messages (per ticket and across tickets) and
feedback listed by updated_at with an opaque cursor (core.api.SyncPagination), and every
change a sync client relies on moving updated_at."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agents.models import Team
from agents.roles import SYSTEM, actor_for, customer_actor
from conftest import api_client_for
from core.api import decode_cursor, encode_cursor
from customers.services import customer_for_contact
from feedback.tests.factories import FeedbackFactory
from privacy.services import customer_erase
from tickets import services
from tickets.assignment import ticket_assign
from tickets.merging import ticket_merge
from tickets.models import Message, Status, Ticket
from tickets.profiles import move_tickets
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db

HOUR_AGO = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _settled_at_once(settings):
    """Rows show as soon as they are written (the settle wait has a test of its own)."""
    settings.API_SYNC_SETTLE_SECONDS = 0


def stamped(rows, *moments):
    """Give each row its updated_at (as if changed then), in the database and in memory."""
    for row, moment in zip(rows, moments, strict=True):
        type(row).objects.filter(pk=row.pk).update(updated_at=moment)
        row.updated_at = moment
    return rows


def walk(client, url: str, **params) -> list[dict]:
    """Every page of a cursor walk from `url`, following `next`."""
    pages = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        pages.append(response.json())
        if pages[-1]["next"] is None:
            return pages
        response = client.get(pages[-1]["next"])


def ids(pages) -> list[int]:
    return [row["id"] for page in pages for row in page["results"]]


# --- the walk ----------------------------------------------------------------------------------


def test_a_walk_misses_nothing_and_repeats_only_what_changed_after_the_cursor_passed_it(agent_api, agent):
    """Page 1 is read; then a ticket already read changes, one not reached yet changes, and a
    new one is made; the rest of the walk shows each ticket once, except the one changed
    behind the cursor, which comes again at the end (its new updated_at)."""
    start = timezone.now() - HOUR_AGO
    tickets = TicketFactory.create_batch(7, status=Status.OPEN)
    # Three share one moment, so a page boundary falls inside them (ties go by id).
    stamped(tickets, *[start + timedelta(minutes=m) for m in (1, 2, 3, 3, 3, 4, 5)])

    first = agent_api.get("/api/support/tickets", {"cursor": "", "page_size": 3}).json()
    assert [row["id"] for row in first["results"]] == [t.pk for t in tickets[:3]]
    assert set(first) == {"next", "cursor", "results"}

    passed, ahead = tickets[1], tickets[5]
    services.ticket_update(ticket=passed, actor=actor_for(agent.user), subject="Changed after it was read")
    services.ticket_update(ticket=ahead, actor=actor_for(agent.user), subject="Changed before it was reached")
    new = TicketFactory(status=Status.OPEN)

    rest = walk(agent_api, first["next"])

    assert ids(rest) == [tickets[3].pk, tickets[4].pk, tickets[6].pk, passed.pk, ahead.pk, new.pk]
    seen = ids([first, *rest])
    assert set(seen) == {t.pk for t in tickets} | {new.pk}  # nothing missed
    assert [pk for pk in seen if seen.count(pk) > 1] == [passed.pk, passed.pk]  # the one changed behind
    assert rest[-1]["results"][-2]["subject"] == "Changed before it was reached"


def test_the_last_page_has_no_next_and_its_cursor_resumes_later(agent_api):
    """A nightly job keeps the last answer's `cursor`; tomorrow it reads only what changed."""
    start = timezone.now() - HOUR_AGO
    tickets = stamped(TicketFactory.create_batch(2), start, start + timedelta(minutes=1))

    pages = walk(agent_api, "/api/support/tickets", cursor="", page_size=2)
    assert len(pages) == 1 and pages[0]["next"] is None
    saved = pages[0]["cursor"]
    assert decode_cursor(saved) == (tickets[1].updated_at, tickets[1].pk)

    empty = agent_api.get("/api/support/tickets", {"cursor": saved}).json()
    assert empty == {"next": None, "cursor": saved, "results": []}
    changed = TicketFactory()
    assert ids(walk(agent_api, "/api/support/tickets", cursor=saved)) == [changed.pk]


def test_updated_after_and_before_bound_the_walk(agent_api):
    start = timezone.now() - HOUR_AGO
    tickets = stamped(TicketFactory.create_batch(4), *[start + timedelta(minutes=m) for m in range(4)])
    after, before = tickets[1].updated_at.isoformat(), tickets[3].updated_at.isoformat()

    pages = walk(agent_api, "/api/support/tickets", updated_after=after, updated_before=before, page_size=1)

    assert ids(pages) == [tickets[1].pk, tickets[2].pk]  # after is inclusive, before is not
    assert parse_qs(urlparse(pages[0]["next"]).query)["updated_after"] == [after]


def test_a_change_shows_only_once_it_has_settled(agent_api, settings):
    """A row stamped now may belong to a transaction not committed yet: it waits."""
    settings.API_SYNC_SETTLE_SECONDS = 30
    ticket = TicketFactory()
    assert agent_api.get("/api/support/tickets", {"cursor": ""}).json()["results"] == []
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert ids([agent_api.get("/api/support/tickets", {"cursor": ""}).json()]) == [ticket.pk]


def test_page_numbers_stay_the_default(agent_api):
    TicketFactory()
    body = agent_api.get("/api/support/tickets").json()
    assert set(body) == {"count", "count_exact", "next", "previous", "results"}


# --- filters and visibility ---------------------------------------------------------------------


def test_filters_combine_with_the_cursor(agent_api, category):
    start = timezone.now() - HOUR_AGO
    rows = TicketFactory.create_batch(6, status=Status.OPEN, category=category)
    for index in (1, 3, 4):
        Ticket.objects.filter(pk=rows[index].pk).update(status=Status.PENDING)
    stamped(rows, *[start + timedelta(minutes=m) for m in range(6)])

    pages = walk(agent_api, "/api/support/tickets", cursor="", status="pending", page_size=2)

    assert ids(pages) == [rows[1].pk, rows[3].pk, rows[4].pk]
    assert "status=pending" in pages[0]["next"]


def test_search_combines_with_the_cursor(agent_api):
    wanted = TicketFactory(subject="Quokka invoice missing")
    TicketFactory(subject="Printer jam")
    assert ids(walk(agent_api, "/api/support/tickets", cursor="", search="quokka")) == [wanted.pk]


@pytest.fixture
def vault(agent):
    """A restricted team with `agent` in it (other_agent is outside)."""
    team = Team.objects.create(name="Vault", restricted=True)
    team.members.add(agent)
    return team


def test_a_restricted_teams_tickets_messages_and_feedback_stay_hidden_from_outsiders(vault, agent, other_agent):
    secret = TicketFactory(team=vault, status=Status.RESOLVED)
    plain = TicketFactory(status=Status.RESOLVED)
    secret_message, plain_message = MessageFactory(ticket=secret), MessageFactory(ticket=plain)
    FeedbackFactory(ticket=secret), FeedbackFactory(ticket=plain)
    member, outsider = api_client_for(agent.user), api_client_for(other_agent.user)

    for url in ("/api/support/tickets", "/api/support/messages", "/api/support/feedback"):
        by_member = walk(member, url, cursor="")
        by_outsider = walk(outsider, url, cursor="")
        tickets = {row.get("ticket", row["id"]) for row in by_outsider[0]["results"]}
        assert secret.pk not in tickets, url
        assert plain.pk in tickets, url
        assert len(ids(by_member)) == len(ids(by_outsider)) + 1, url
    assert ids(walk(outsider, "/api/support/messages", cursor="")) == [plain_message.pk]
    assert secret_message.pk in ids(walk(member, "/api/support/messages", cursor=""))


def test_integrations_never_read_internal_notes_in_the_feed(integration_api, agent_api, agent):
    ticket = TicketFactory()
    reply = MessageFactory(ticket=ticket, author_agent=agent)
    note = MessageFactory(ticket=ticket, author_agent=agent, internal=True)

    assert ids(walk(integration_api, "/api/support/messages", cursor="")) == [reply.pk]
    assert ids(walk(integration_api, f"/api/support/tickets/{ticket.pk}/messages", cursor="")) == [reply.pk]
    assert ids(walk(integration_api, "/api/support/messages", internal="true")) == []
    assert ids(walk(agent_api, "/api/support/messages", cursor="")) == [reply.pk, note.pk]


def test_the_feed_says_each_messages_ticket_and_when_it_changed(agent_api, agent):
    message = MessageFactory(author_agent=agent)
    row = agent_api.get("/api/support/messages", {"cursor": ""}).json()["results"][0]
    assert row["ticket"] == message.ticket_id
    assert parse_datetime(row["updated_at"]) == message.updated_at


def test_the_feed_without_a_cursor_is_a_numbered_page(agent_api):
    MessageFactory()
    assert agent_api.get("/api/support/messages").json()["count"] == 1


def test_customers_and_anonymous_callers_read_no_feed(anonymous_api):
    assert anonymous_api.get("/api/support/messages", {"cursor": ""}).status_code == 401


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b"1|yesterday|5").decode(),
        base64.urlsafe_b64encode(b"1|2026-11-01T08:00:00|5").decode(),  # no offset
        base64.urlsafe_b64encode(b"2|2026-11-01T08:00:00+00:00|5").decode(),  # another version
        base64.urlsafe_b64encode(b"1|2026-11-01T08:00:00+00:00|99999999999").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
@pytest.mark.parametrize("url", ["/api/support/tickets", "/api/support/messages", "/api/support/feedback"])
def test_a_bad_cursor_is_a_400_naming_it(agent_api, url, cursor):
    response = agent_api.get(url, {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize("name", ["updated_after", "updated_before"])
@pytest.mark.parametrize("value", ["", "soon", "2026-13-01", "0001-01-01T00:00+15:00"])
def test_a_bad_bound_is_a_400_naming_it(agent_api, name, value):
    response = agent_api.get("/api/support/tickets", {name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize("name", ["page", "ordering"])
def test_page_numbers_and_ordering_do_not_combine_with_a_cursor(agent_api, name):
    response = agent_api.get("/api/support/tickets", {"cursor": "", name: "2"})
    assert response.status_code == 400
    assert list(response.json()) == [name]


def test_a_cursor_reads_back_what_it_was_made_of():
    moment = timezone.now()
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    assert decode_cursor("") is None


# --- what each page costs ----------------------------------------------------------------------


def test_a_cursor_page_of_tickets_costs_the_same_for_1_and_100_rows(agent_api, django_assert_num_queries):
    TicketFactory.create_batch(100)
    agent_api.get("/api/support/tickets", {"cursor": ""})  # the token and the hidden teams, once
    # The token's user, the hidden teams, the page, its tags and its attachments.
    with django_assert_num_queries(5):
        one = agent_api.get("/api/support/tickets", {"cursor": "", "page_size": 1})
    with django_assert_num_queries(5):
        hundred = agent_api.get("/api/support/tickets", {"cursor": "", "page_size": 100})
    assert len(one.json()["results"]) == 1 and len(hundred.json()["results"]) == 100


def test_a_cursor_page_of_the_feed_costs_the_same_for_1_and_100_rows(integration_api, agent, django_assert_num_queries):
    for ticket in TicketFactory.create_batch(50):
        MessageFactory.create_batch(2, ticket=ticket, author_agent=agent)
    # The token's user, who the caller is (the integrations' group), the page with its
    # authors, its attachments: no count, and nothing per row.
    with django_assert_num_queries(4):
        one = integration_api.get("/api/support/messages", {"cursor": "", "page_size": 1})
    with django_assert_num_queries(4):
        hundred = integration_api.get("/api/support/messages", {"cursor": "", "page_size": 100})
    assert len(one.json()["results"]) == 1 and len(hundred.json()["results"]) == 100


# --- what moves updated_at -----------------------------------------------------------------------


def older(row):
    """`row` stamped an hour ago, so a change made now shows in its updated_at."""
    return stamped([row], timezone.now() - HOUR_AGO)[0]


def moved(row) -> bool:
    """Whether the row's updated_at (as stored) was moved since `older` stamped it."""
    row.refresh_from_db()
    return row.updated_at > timezone.now() - HOUR_AGO / 2


def test_replies_from_either_side_move_the_tickets_updated_at(agent, category):
    ticket = older(TicketFactory(status=Status.OPEN, category=category, first_responded_at=timezone.now()))
    services.message_create(ticket=ticket, body="We are on it, thank you.", actor=actor_for(agent.user))
    assert moved(ticket)

    older(ticket)
    customer = customer_actor(ticket.customer_name, ticket.customer_email)
    services.message_create(ticket=ticket, body="Any news on this one?", actor=customer)
    assert moved(ticket)


def test_an_internal_note_leaves_the_ticket_as_it_was(agent):
    ticket = older(TicketFactory(status=Status.OPEN))
    services.message_create(ticket=ticket, body="Checked the logs.", actor=actor_for(agent.user), internal=True)
    assert not moved(ticket)


def test_new_due_times_move_the_tickets_updated_at():
    ticket = older(TicketFactory(status=Status.OPEN))
    services.apply_sla(ticket=ticket, actor=SYSTEM)
    assert moved(ticket)


def test_tags_status_and_assignment_move_the_tickets_updated_at(agent, category):
    ticket = older(TicketFactory(status=Status.OPEN, category=category))
    services.ticket_update(ticket=ticket, actor=actor_for(agent.user), tags=["vip"])
    assert moved(ticket)
    older(ticket)
    services.ticket_update(ticket=ticket, actor=actor_for(agent.user), status=Status.PENDING)
    assert moved(ticket)
    older(ticket)
    ticket_assign(ticket=ticket, agent=agent, actor=actor_for(agent.user))
    assert moved(ticket)


def test_a_rating_moves_the_messages_updated_at(agent):
    reply = older(MessageFactory(author_agent=agent))
    customer = customer_actor(reply.ticket.customer_name, reply.ticket.customer_email)
    services.message_rate(message=reply, rating=5, comment="", actor=customer)
    assert moved(reply)


def test_a_merge_moves_the_messages_it_moves_and_both_tickets(agent):
    source, target = TicketFactory(status=Status.OPEN), TicketFactory(status=Status.OPEN)
    message = older(MessageFactory(ticket=source, author_agent=agent))
    older(source), older(target)

    ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    assert moved(message) and message.ticket_id == target.pk
    assert moved(source) and moved(target)


def test_a_message_written_outside_the_orm_gets_the_databases_time():
    ticket = TicketFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_message (ticket_id, author_type, author_name, author_email, body, internal, "
            "created_at, rating_comment, source, email_from, email_to, email_cc, body_html) VALUES "
            "(%s, 'agent', 'A', '', 'Written by a bulk load.', false, now(), '', 'api', '', '', '', '') RETURNING id",
            [ticket.pk],
        )
        pk = cursor.fetchone()[0]
    assert Message.objects.get(pk=pk).updated_at is not None


def test_an_erasure_moves_the_ticket_its_messages_and_its_feedback(agent):
    ticket = older(TicketFactory(status=Status.RESOLVED, customer_email="gone@example.org"))
    message = older(MessageFactory(ticket=ticket, author_agent=agent))
    feedback = older(FeedbackFactory(ticket=ticket))

    customer_erase("gone@example.org")

    assert moved(ticket) and moved(message) and moved(feedback)


def test_moving_tickets_to_another_customer_profile_moves_them(agent):
    source = customer_for_contact(email="old@example.org")
    target = customer_for_contact(email="new@example.org")
    ticket = older(TicketFactory(customer=source, customer_email="old@example.org"))

    move_tickets(source=source, target=target, actor=actor_for(agent.user))

    assert moved(ticket) and ticket.customer_id == target.pk
