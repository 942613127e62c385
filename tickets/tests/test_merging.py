"""Merging a duplicate into a ticket, linking related tickets, splitting a message off
(issue 24, point 3): the services."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agents.models import Team
from agents.roles import actor_for
from agents.tests.factories import AgentFactory
from customers.tests.factories import CustomerFactory
from notifications.models import Channel, Notification
from tickets.event_words import value_words
from tickets.merging import MergeRefused, SplitRefused, message_split, ticket_merge
from tickets.models import AuthorType, EventKind, Message, Status, Ticket, TicketCC, TicketLink
from tickets.related import LinkRefused, linked_ticket_ids, linked_tickets_for_user, ticket_link_add, ticket_link_remove
from tickets.tests.factories import AttachmentFactory, MessageFactory, TicketFactory
from tickets.threading import reply_address

pytestmark = pytest.mark.django_db


def emails_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(channel=Channel.EMAIL, recipient=address).order_by("id"))


@pytest.fixture
def cleo(db):
    return CustomerFactory(email="cleo@example.org", name="Cleo")


@pytest.fixture
def pair(category, cleo):
    """A duplicate (older, with a description attachment, two messages, a CC and a follower)
    and the ticket that goes on (with a message of its own between the duplicate's)."""
    start = timezone.now() - timedelta(hours=5)
    source = TicketFactory(
        category=category,
        customer=cleo,
        customer_email="cleo@example.org",
        customer_name="Cleo",
        subject="Printer jams",
        description="The printer on floor 2 jams on every page.",
        created_at=start,
        status=Status.OPEN,
    )
    target = TicketFactory(
        category=category,
        customer=cleo,
        customer_email="cleo@example.org",
        customer_name="Cleo",
        subject="Printer broken",
        created_at=start + timedelta(hours=1),
        status=Status.OPEN,
    )
    AttachmentFactory(ticket=source, name="photo.jpg")
    MessageFactory(
        ticket=source, author_type=AuthorType.CUSTOMER, body="Still jamming.", created_at=start + timedelta(hours=3)
    )
    reply = MessageFactory(ticket=source, body="We look at it.", created_at=start + timedelta(hours=2))
    AttachmentFactory(ticket=source, message=reply, name="manual.pdf")
    MessageFactory(
        ticket=target, author_type=AuthorType.CUSTOMER, body="Any news?", created_at=start + timedelta(hours=4)
    )
    TicketCC.objects.create(ticket=source, email="boss@example.org")
    return source, target


def test_it_moves_the_whole_conversation_in_time_order_and_closes_the_duplicate(pair, agent, other_agent):
    source, target = pair
    source.followers.add(other_agent)

    merged = ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    assert merged.pk == target.pk
    bodies = list(Message.objects.filter(ticket=target).values_list("body", "merged_from_id"))
    assert bodies == [
        ("The printer on floor 2 jams on every page.", source.pk),
        ("We look at it.", source.pk),
        ("Still jamming.", source.pk),
        ("Any news?", None),
    ]
    assert not Message.objects.filter(ticket=source).exists()
    description = Message.objects.get(ticket=target, body__startswith="The printer")
    assert description.author_type == AuthorType.CUSTOMER and description.created_at == source.created_at
    assert [a.name for a in description.attachments.all()] == ["photo.jpg"]
    assert sorted(target.attachments.values_list("name", flat=True)) == ["manual.pdf", "photo.jpg"]
    assert list(TicketCC.objects.filter(ticket=target).values_list("email", flat=True)) == ["boss@example.org"]
    assert list(target.followers.all()) == [other_agent]
    source.refresh_from_db()
    assert (source.status, source.merged_into_id) == (Status.CLOSED, target.pk)
    assert source.closed_at is not None


def test_it_records_the_merge_on_both_tickets_and_keeps_the_duplicates_history(pair, agent):
    source, target = pair
    ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    assert list(source.events.values_list("kind", "new_value")) == [
        (EventKind.MERGE, f"into {target.pk}"),
        (EventKind.STATUS, "closed"),
    ]
    assert list(target.events.filter(kind=EventKind.MERGE).values_list("new_value", flat=True)) == [f"from {source.pk}"]
    with translation.override("en"):
        assert value_words(EventKind.MERGE, f"into {target.pk}") == f"merged into #{target.pk}"
        assert value_words(EventKind.MERGE, f"from {source.pk}") == f"#{source.pk} merged into this ticket"
    with translation.override("ru"):
        assert value_words(EventKind.MERGE, "into 12") == "объединено с #12"


def test_it_tells_the_customer_in_their_language_threaded_on_the_duplicate(pair, agent):
    source, target = pair
    Ticket.objects.filter(pk=source.pk).update(language="ru")
    source.refresh_from_db()

    ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    [email] = emails_to("cleo@example.org")
    assert email.kind == "ticket.merged"
    assert email.payload["subject"].startswith(f"[#{source.pk}] Ваше обращение продолжается в #{target.pk}")
    assert f"#{target.pk}" in email.payload["text"] and "/portal/tickets/" in email.payload["text"]
    assert email.payload["headers"]["Reply-To"] == reply_address(source.pk)
    assert email.payload["headers"]["Auto-Submitted"] == "auto-replied"
    assert not emails_to("boss@example.org")  # the CCs are copied quietly


def test_another_customers_duplicate_copies_them_on_the_ticket(category, agent, cleo):
    source = TicketFactory(category=category, customer_email="dan@example.net", customer_name="Dan", status=Status.NEW)
    MessageFactory(ticket=source, author_type=AuthorType.CUSTOMER, body="Me too.")
    target = TicketFactory(category=category, customer=cleo, customer_email="cleo@example.org", status=Status.OPEN)

    ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    assert list(TicketCC.objects.filter(ticket=target).values_list("email", flat=True)) == ["dan@example.net"]
    authors = set(
        Message.objects.filter(ticket=target, author_type=AuthorType.CUSTOMER).values_list("author_email", flat=True)
    )
    assert authors == {"dan@example.net"}  # their messages read as the CC's, not Cleo's
    [email] = emails_to("dan@example.net")
    assert "/portal/tickets/" in email.payload["text"]
    assert not emails_to("cleo@example.org")


@pytest.mark.parametrize(
    ("arrange", "words"),
    [
        ("itself", "into itself"),
        ("merged", "merged into"),
        ("target closed", "is closed"),
        ("source closed", "is closed"),
    ],
)
def test_it_refuses_a_merge_that_makes_no_sense_and_changes_nothing(pair, agent, arrange, words):
    source, target = pair
    if arrange == "itself":
        target = source
    elif arrange == "merged":
        third = TicketFactory(category=source.category, status=Status.OPEN)
        Ticket.objects.filter(pk=source.pk).update(merged_into=third, status=Status.CLOSED, closed_at=timezone.now())
    elif arrange == "target closed":
        Ticket.objects.filter(pk=target.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    else:
        Ticket.objects.filter(pk=source.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    messages_before = Message.objects.filter(ticket=source).count()

    with pytest.raises(MergeRefused, match=words):
        ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    assert Message.objects.filter(ticket=source).count() == messages_before
    assert not Notification.objects.exists()
    assert not source.events.filter(kind=EventKind.MERGE).exists()


def test_it_refuses_a_target_of_a_restricted_team_the_agent_may_not_see(pair, agent):
    source, target = pair
    secret = Team.objects.create(name="Legal", restricted=True)
    Ticket.objects.filter(pk=target.pk).update(team=secret)

    with pytest.raises(MergeRefused, match="No ticket"):
        ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    assert Message.objects.filter(ticket=source).count() == 2


def test_it_locks_the_lower_id_first_whichever_way_round(pair, agent):
    source, target = pair  # source has the lower id
    with CaptureQueriesContext(connection) as statements:
        ticket_merge(source=target, target=source, actor=actor_for(agent.user))

    locks = [
        q["sql"] for q in statements.captured_queries if "FOR UPDATE" in q["sql"] and '"tickets_ticket"' in q["sql"]
    ]
    assert f"= {source.pk}" in locks[0] and f"= {target.pk}" in locks[1]


@pytest.mark.django_db(transaction=True)
def test_two_agents_merging_both_ways_at_once_end_with_one_merge_and_no_deadlock(category):
    agent = AgentFactory(user__username="agent-a", specializations=[category])
    first = TicketFactory(category=category, status=Status.OPEN)
    second = TicketFactory(category=category, status=Status.OPEN)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def merge(source, target):
        try:
            start.wait()
            ticket_merge(source=source, target=target, actor=actor_for(agent.user))
            outcomes.append("merged")
        except MergeRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["merged", "refused"]
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 1


# --- Links ----------------------------------------------------------------------------


def test_a_link_is_one_pair_whichever_side_adds_it_with_history_on_both(category, agent):
    one, two = TicketFactory(category=category), TicketFactory(category=category)
    actor = actor_for(agent.user)

    assert ticket_link_add(ticket=two, other=one, actor=actor) is True
    assert ticket_link_add(ticket=one, other=two, actor=actor) is False

    assert TicketLink.objects.count() == 1
    assert linked_ticket_ids(one) == [two.pk] and linked_ticket_ids(two) == [one.pk]
    assert one.events.get(kind=EventKind.LINK).new_value == f"added {two.pk}"
    assert ticket_link_remove(ticket=one, other_id=two.pk, actor=actor) is True
    assert not TicketLink.objects.exists()
    assert list(two.events.filter(kind=EventKind.LINK).values_list("new_value", flat=True)) == [
        f"added {one.pk}",
        f"removed {one.pk}",
    ]


def test_a_ticket_cannot_link_to_itself(category, agent):
    one = TicketFactory(category=category)
    with pytest.raises(LinkRefused, match="itself"):
        ticket_link_add(ticket=one, other=one, actor=actor_for(agent.user))


def test_a_linked_ticket_of_a_hidden_team_is_not_listed(category, agent):
    one, two = TicketFactory(category=category), TicketFactory(category=category)
    hidden = TicketFactory(category=category, team=Team.objects.create(name="Legal", restricted=True))
    ticket_link_add(ticket=one, other=two, actor=actor_for(agent.user))
    ticket_link_add(ticket=one, other=hidden, actor=actor_for(agent.user))

    assert linked_tickets_for_user(agent.user, one) == [two]


# --- Split ----------------------------------------------------------------------------


def test_it_splits_a_customers_message_into_a_linked_ticket(category, agent, cleo):
    original = TicketFactory(
        category=category, customer=cleo, customer_email="cleo@example.org", customer_name="Cleo", status=Status.OPEN
    )
    message = MessageFactory(
        ticket=original, author_type=AuthorType.CUSTOMER, body="Also, my badge does not open the door."
    )
    AttachmentFactory(ticket=original, message=message, name="badge.jpg")

    new = message_split(message=message, subject="Badge", actor=actor_for(agent.user))

    assert (new.subject, new.description, new.customer_email) == (
        "Badge",
        "Also, my badge does not open the door.",
        "cleo@example.org",
    )
    assert new.customer_id == cleo.pk
    assert [a.name for a in new.own_attachments()] == ["badge.jpg"]
    assert not Message.objects.filter(pk=message.pk).exists()
    assert linked_ticket_ids(original) == [new.pk]
    assert original.events.get(kind=EventKind.SPLIT).new_value == f"to {new.pk}"
    assert new.events.get(kind=EventKind.SPLIT).new_value == f"from {original.pk}, message {message.pk}"
    assert not emails_to("cleo@example.org")  # no acknowledgement of a ticket the agent made


def test_an_empty_subject_keeps_the_originals(category, agent):
    original = TicketFactory(category=category, subject="Printer", status=Status.OPEN)
    message = MessageFactory(ticket=original, author_type=AuthorType.CUSTOMER, body="Another printer question.")

    assert message_split(message=message, subject="  ", actor=actor_for(agent.user)).subject == "Printer"


@pytest.mark.parametrize(
    ("author_type", "body", "words"),
    [
        (AuthorType.AGENT, "An agent's reply here.", "customer's message"),
        (AuthorType.CUSTOMER, "short", "10 to 5000"),
    ],
)
def test_it_refuses_to_split_what_cannot_be_a_ticket(category, agent, author_type, body, words):
    original = TicketFactory(category=category, status=Status.OPEN)
    message = MessageFactory(ticket=original, author_type=author_type, body=body)

    with pytest.raises(SplitRefused, match=words):
        message_split(message=message, subject="", actor=actor_for(agent.user))

    assert Ticket.objects.count() == 1 and Message.objects.filter(pk=message.pk).exists()


def test_the_duplicates_private_page_sends_its_customer_on(client, settings, pair, agent):
    from tickets.links import private_url

    source, target = pair
    old_link = private_url(source)
    ticket_merge(source=source, target=target, actor=actor_for(agent.user))

    page = client.get(old_link.removeprefix(settings.SITE_URL)).content.decode()

    assert f"This request was joined with #{target.pk}" in page
    assert f'<a href="{private_url(target)}">Open #{target.pk}</a>' in page


def test_a_message_split_off_meanwhile_is_refused_not_an_error(category, agent):
    original = TicketFactory(category=category, status=Status.OPEN)
    message = MessageFactory(ticket=original, author_type=AuthorType.CUSTOMER, body="A second question here.")
    message_split(message=message, subject="", actor=actor_for(agent.user))

    with pytest.raises(SplitRefused, match="no longer on ticket"):
        message_split(message=message, subject="", actor=actor_for(agent.user))
