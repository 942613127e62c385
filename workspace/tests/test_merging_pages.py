"""The ticket page's merge, linked tickets and split (issue 24, point 3): the pages."""

from __future__ import annotations

import pytest

from agents.models import Team
from notifications.models import Channel, Notification
from tickets.models import AuthorType, EventKind, Message, Status, Ticket, TicketCC, TicketLink
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def duplicate(category):
    ticket = TicketFactory(
        category=category, subject="Printer jams", customer_email="cleo@example.org", status=Status.OPEN
    )
    MessageFactory(ticket=ticket, author_type=AuthorType.CUSTOMER, body="It jams again today.")
    return ticket


@pytest.fixture
def original(category):
    return TicketFactory(
        category=category, subject="Printer broken", customer_email="cleo@example.org", status=Status.OPEN
    )


@pytest.fixture
def secret(category):
    return TicketFactory(category=category, team=Team.objects.create(name="Legal", restricted=True))


def test_the_ticket_page_offers_merge_and_links(signed_in, duplicate):
    page = signed_in.get(f"/agent/tickets/{duplicate.pk}").content.decode()

    assert "Linked tickets" in page and "Merge into…" in page
    assert f'action="/agent/tickets/{duplicate.pk}/merge"' in page
    message = duplicate.messages.get()
    assert f"/agent/tickets/{duplicate.pk}/messages/{message.pk}/split" in page


def test_the_confirmation_shows_both_tickets_and_changes_nothing(signed_in, duplicate, original):
    response = signed_in.get(f"/agent/tickets/{duplicate.pk}/merge?ticket=%23{original.pk}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Printer jams" in page and "Printer broken" in page
    assert f"Merge #{duplicate.pk} into #{original.pk}" in page
    assert "different customers" not in page
    assert Ticket.objects.get(pk=duplicate.pk).status == Status.OPEN


def test_the_confirmation_says_another_customer_will_be_copied(signed_in, duplicate, category):
    other = TicketFactory(category=category, customer_email="dan@example.net", status=Status.OPEN)

    page = signed_in.get(f"/agent/tickets/{duplicate.pk}/merge?ticket={other.pk}").content.decode()

    assert "different customers" in page and "cleo@example.org will be copied (CC)" in page


def test_merging_moves_the_conversation_and_the_duplicate_links_to_the_other(signed_in, duplicate, original):
    response = signed_in.post(f"/agent/tickets/{duplicate.pk}/merge", {"ticket": str(original.pk)}, follow=True)

    assert response.redirect_chain[-1][0] == f"/agent/tickets/{original.pk}"
    page = response.content.decode()
    assert (
        "It jams again today." in page and f'From <a href="/agent/tickets/{duplicate.pk}">#{duplicate.pk}</a>' in page
    )
    assert "the customer was told" in page
    closed = signed_in.get(f"/agent/tickets/{duplicate.pk}").content.decode()
    assert f'Merged into <a href="/agent/tickets/{original.pk}">#{original.pk} Printer broken</a>' in closed
    assert "Merge into…" not in closed
    assert (
        Notification.objects.filter(channel=Channel.EMAIL, recipient="cleo@example.org", kind="ticket.merged").count()
        == 1
    )


@pytest.mark.parametrize("typed", ["abc", "", "#0", "1" * 30, "99999999"])
def test_a_bad_ticket_number_is_a_form_error_not_a_500(signed_in, duplicate, typed):
    for response in (
        signed_in.get(f"/agent/tickets/{duplicate.pk}/merge", {"ticket": typed}),
        signed_in.post(f"/agent/tickets/{duplicate.pk}/merge", {"ticket": typed}),
    ):
        assert response.status_code == 400
        assert "Not merged." in response.content.decode()
        assert response.context["form"].errors["ticket"]
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id is None


def test_a_ticket_of_a_hidden_team_is_answered_as_no_ticket(signed_in, duplicate, secret):
    response = signed_in.post(f"/agent/tickets/{duplicate.pk}/merge", {"ticket": str(secret.pk)})

    assert response.status_code == 400
    assert f"No ticket #{secret.pk} that you can see." in response.content.decode()
    assert signed_in.get(f"/agent/tickets/{secret.pk}/merge?ticket={duplicate.pk}").status_code == 404
    assert Message.objects.filter(ticket=duplicate).count() == 1


def test_merging_into_itself_or_a_closed_ticket_is_refused_in_words(signed_in, duplicate, original):
    itself = signed_in.post(f"/agent/tickets/{duplicate.pk}/merge", {"ticket": str(duplicate.pk)})
    Ticket.objects.filter(pk=original.pk).update(status=Status.CLOSED, closed_at=original.created_at)
    closed = signed_in.post(f"/agent/tickets/{duplicate.pk}/merge", {"ticket": str(original.pk)})

    assert itself.status_code == 400 and "cannot be merged into itself" in itself.content.decode()
    assert closed.status_code == 400 and "is closed" in closed.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_pages_are_for_agents_only(client, customer_user_or_anonymous, duplicate, original, method):
    if customer_user_or_anonymous is not None:
        client.force_login(customer_user_or_anonymous)
    message = duplicate.messages.get()
    for url in (
        f"/agent/tickets/{duplicate.pk}/merge?ticket={original.pk}",
        f"/agent/tickets/{duplicate.pk}/messages/{message.pk}/split",
    ):
        response = getattr(client, method)(url, {"ticket": original.pk, "subject": "x"} if method == "post" else None)
        assert response.status_code in (302, 403)
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id is None


@pytest.fixture(params=["anonymous", "customer"])
def customer_user_or_anonymous(request, db):
    if request.param == "anonymous":
        return None
    from agents.tests.factories import UserFactory

    return UserFactory(username="plain-user")


# --- Links ----------------------------------------------------------------------------


def test_linking_by_number_lists_the_link_on_both_pages(signed_in, duplicate, original):
    response = signed_in.post(f"/agent/tickets/{duplicate.pk}/links", {"ticket": f"#{original.pk}"}, follow=True)

    assert f"Linked to #{original.pk}." in response.content.decode()
    other_page = signed_in.get(f"/agent/tickets/{original.pk}").content.decode()
    assert f'<a href="/agent/tickets/{duplicate.pk}">#{duplicate.pk} Printer jams</a>' in other_page
    assert "linked to #" in other_page  # the history line, in words

    signed_in.post(f"/agent/tickets/{original.pk}/links/{duplicate.pk}/remove")
    assert not TicketLink.objects.exists()


@pytest.mark.parametrize("typed", ["nope", "", "123456789012345678901234"])
def test_a_bad_number_to_link_says_so_and_links_nothing(signed_in, duplicate, typed):
    response = signed_in.post(f"/agent/tickets/{duplicate.pk}/links", {"ticket": typed}, follow=True)

    assert response.status_code == 200
    assert "Not linked:" in response.content.decode()
    assert not TicketLink.objects.exists()


def test_a_hidden_ticket_cannot_be_linked_nor_is_it_listed(signed_in, duplicate, secret):
    response = signed_in.post(f"/agent/tickets/{duplicate.pk}/links", {"ticket": str(secret.pk)}, follow=True)

    assert f"No ticket #{secret.pk} that you can see." in response.content.decode()
    assert not TicketLink.objects.exists()
    TicketLink.objects.create(low_id=min(duplicate.pk, secret.pk), high_id=max(duplicate.pk, secret.pk))
    assert f'/agent/tickets/{secret.pk}"' not in signed_in.get(f"/agent/tickets/{duplicate.pk}").content.decode()


def test_the_ticket_page_reads_its_links_in_few_queries(signed_in, duplicate, category, django_assert_max_num_queries):
    def link():
        other = TicketFactory(category=category)
        TicketLink.objects.create(low_id=min(duplicate.pk, other.pk), high_id=max(duplicate.pk, other.pk))

    link()
    signed_in.get(f"/agent/tickets/{duplicate.pk}")
    with django_assert_max_num_queries(80) as before:
        signed_in.get(f"/agent/tickets/{duplicate.pk}")
    for _ in range(5):
        link()
    with django_assert_max_num_queries(len(before.captured_queries)):
        signed_in.get(f"/agent/tickets/{duplicate.pk}")


# --- Split ----------------------------------------------------------------------------


def test_splitting_a_message_opens_the_new_ticket_linked_to_the_original(signed_in, duplicate):
    message = duplicate.messages.get()
    form = signed_in.get(f"/agent/tickets/{duplicate.pk}/messages/{message.pk}/split")
    assert form.status_code == 200 and 'value="Printer jams"' in form.content.decode()

    response = signed_in.post(
        f"/agent/tickets/{duplicate.pk}/messages/{message.pk}/split", {"subject": "Jams today"}, follow=True
    )

    new = Ticket.objects.get(subject="Jams today")
    assert response.redirect_chain[-1][0] == f"/agent/tickets/{new.pk}"
    assert new.description == "It jams again today."
    assert not Message.objects.filter(ticket=duplicate).exists()
    assert TicketLink.objects.filter(low_id=duplicate.pk, high_id=new.pk).exists()
    assert duplicate.events.filter(kind=EventKind.SPLIT).exists()


def test_an_agents_reply_cannot_be_split_and_a_missing_subject_is_a_form_error(signed_in, duplicate):
    reply = MessageFactory(ticket=duplicate, author_type=AuthorType.AGENT, body="We are on it.")
    assert signed_in.get(f"/agent/tickets/{duplicate.pk}/messages/{reply.pk}/split").status_code == 404
    message = duplicate.messages.get(author_type=AuthorType.CUSTOMER)

    response = signed_in.post(f"/agent/tickets/{duplicate.pk}/messages/{message.pk}/split", {"subject": ""})

    assert response.status_code == 400 and response.context["form"].errors["subject"]
    assert Ticket.objects.count() == 1


def test_a_short_message_shows_why_it_cannot_be_split(signed_in, duplicate):
    short = MessageFactory(ticket=duplicate, author_type=AuthorType.CUSTOMER, body="Thanks!")

    response = signed_in.get(f"/agent/tickets/{duplicate.pk}/messages/{short.pk}/split")

    assert response.status_code == 200 and "10 to 5000 characters" in response.content.decode()
    assert TicketCC.objects.count() == 0
