"""Addresses copied on a ticket (issue 22, point 6): the services and their bounds, the API,
and the agent's replies emailed to every CC with a private link of its own."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from agents.roles import SYSTEM, actor_for, customer_actor
from customers.tests.factories import CustomerFactory
from notifications.models import Channel, Notification
from tickets import services
from tickets.ccs import CC_MAX, CCRefused, ticket_cc_add, ticket_cc_remove
from tickets.event_words import value_words
from tickets.links import cc_token, private_token, reader_for_token
from tickets.models import EventKind, TicketCC
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/portal/tickets/([^/\s\"<>]+)/")


def emails_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(channel=Channel.EMAIL, recipient=address).order_by("id"))


def link_token(notification: Notification) -> str:
    return LINK.search(notification.payload["text"])[1]


# --- The services ------------------------------------------------------------------------


def test_it_copies_addresses_lower_case_once_with_a_history_line(category, agent):
    ticket = TicketFactory(category=category, customer_email="cleo@example.org")

    added = ticket_cc_add(
        ticket=ticket, emails=["Bob@Example.ORG", " bob@example.org", "carol@example.net"], actor=actor_for(agent.user)
    )
    again = ticket_cc_add(ticket=ticket, emails=["BOB@example.org"], actor=actor_for(agent.user))

    assert [cc.email for cc in added] == ["bob@example.org", "carol@example.net"]
    assert again == []
    events = list(ticket.events.filter(kind=EventKind.CC).values_list("new_value", flat=True))
    assert events == ["added bob@example.org", "added carol@example.net"]
    with translation.override("en"):
        assert value_words(EventKind.CC, events[0]) == "added bob@example.org"


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("cleo@example.org", "customer's own address"),
        ("CLEO@example.org", "customer's own address"),
        ("not-an-address", "not a valid email address"),
        ("support@example.com", "helpdesk's own address"),
        ("support+t1-abc@example.com", "helpdesk's own address"),
    ],
)
def test_it_refuses_an_address_that_cannot_be_copied(settings, category, address, words):
    settings.SUPPORT_EMAIL = "support@example.com"
    ticket = TicketFactory(category=category, customer_email="cleo@example.org")

    with pytest.raises(CCRefused, match=words) as refused:
        ticket_cc_add(ticket=ticket, emails=["ok@example.org", address], actor=SYSTEM)

    assert list(refused.value.payload()) == ["cc"]
    assert refused.value.status_code == 400
    assert not TicketCC.objects.exists()  # the whole change, not a part of it


def test_it_refuses_any_address_of_the_tickets_customer_profile(category, agent_api):
    cleo = CustomerFactory(email="cleo@example.org", aliases=["cleo@old.example", "c.lee@example.net"])
    ticket = TicketFactory(category=category, customer=cleo, customer_email="c.lee@example.net")

    for address in ("cleo@example.org", "CLEO@old.example", "c.lee@example.net"):
        with pytest.raises(CCRefused, match="customer"):
            ticket_cc_add(ticket=ticket, emails=[address], actor=SYSTEM)
    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/cc", {"email": "cleo@old.example"}, format="json")
    created = agent_api.post(
        "/api/support/tickets",
        {**NEW, "customer_email": "cleo@example.org", "cc": ["cleo@old.example"]},
        format="json",
    )

    assert response.status_code == 400 and "cleo@old.example" in response.json()["email"][0]
    assert created.status_code == 400 and "cc" in created.json()
    assert not TicketCC.objects.exists()
    assert ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM)  # someone else is fine


def test_it_keeps_at_most_cc_max_addresses(category):
    ticket = TicketFactory(category=category)
    ticket_cc_add(ticket=ticket, emails=[f"p{n}@example.org" for n in range(CC_MAX - 1)], actor=SYSTEM)

    with pytest.raises(CCRefused, match="at most 20"):
        ticket_cc_add(ticket=ticket, emails=["a@example.org", "b@example.org"], actor=SYSTEM)
    skipped = ticket_cc_add(ticket=ticket, emails=["a@example.org", "b@example.org", "bad"], actor=SYSTEM, strict=False)

    assert [cc.email for cc in skipped] == ["a@example.org"]
    assert TicketCC.objects.filter(ticket=ticket).count() == CC_MAX


def test_removing_a_cc_revokes_its_link_and_leaves_the_others(category, agent):
    ticket = TicketFactory(category=category)
    bob, carol = ticket_cc_add(ticket=ticket, emails=["bob@example.org", "carol@example.org"], actor=SYSTEM)
    token = cc_token(bob)
    assert reader_for_token(token).cc == bob

    ticket_cc_remove(ticket=ticket, cc=bob, actor=actor_for(agent.user))

    assert reader_for_token(token) is None
    assert reader_for_token(cc_token(carol)).cc == carol
    assert reader_for_token(private_token(ticket)).is_customer
    assert ticket.events.filter(kind=EventKind.CC).last().new_value == "removed bob@example.org"


def test_a_cc_token_of_one_ticket_does_not_open_another(category):
    ticket, other = TicketFactory(category=category), TicketFactory(category=category)
    (cc,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM)
    forged = TicketCC(pk=cc.pk, ticket_id=other.pk, access_key=cc.access_key)

    assert reader_for_token(cc_token(forged)) is None


# --- Emails ------------------------------------------------------------------------------


def test_a_copied_address_is_emailed_its_own_private_link(category, agent):
    ticket = TicketFactory(category=category, language="ru")

    (cc,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=actor_for(agent.user))

    (email,) = emails_to("bob@example.org")
    assert email.kind == "ticket.cc_added"
    assert reader_for_token(link_token(email)).cc == cc
    # The ticket's language, not the agent's (a sentence the catalog has already).
    assert "Никому не передавайте эту ссылку" in email.payload["text"]


def test_an_agent_reply_reaches_the_customer_and_every_cc_each_with_their_own_link(category, agent):
    ticket = TicketFactory(category=category, customer_email="cleo@example.org", status="open")
    bob, carol = ticket_cc_add(
        ticket=ticket, emails=["bob@example.org", "carol@example.org"], actor=SYSTEM, notify=False
    )

    services.message_create(ticket=ticket, body="The part ships today.", actor=actor_for(agent.user))
    services.message_create(ticket=ticket, body="Between us.", internal=True, actor=actor_for(agent.user))

    (to_customer,) = emails_to("cleo@example.org")
    (to_bob,) = emails_to("bob@example.org")
    (to_carol,) = emails_to("carol@example.org")
    assert reader_for_token(link_token(to_customer)).is_customer
    assert reader_for_token(link_token(to_bob)).cc == bob
    assert reader_for_token(link_token(to_carol)).cc == carol
    for email in (to_bob, to_carol):
        assert email.kind == "ticket.cc_reply"
        assert "The part ships today." in email.payload["text"]
        assert "Between us." not in email.payload["text"]
        # Threaded like the customer's: answers come back to this ticket.
        assert email.payload["headers"]["Reply-To"] == to_customer.payload["headers"]["Reply-To"]
        assert email.payload["subject"].startswith(f"[#{ticket.pk}]")
    assert to_bob.payload["headers"]["Message-ID"] != to_carol.payload["headers"]["Message-ID"]


def test_a_removed_cc_gets_no_more_replies(category, agent):
    ticket = TicketFactory(category=category, status="open")
    (bob,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM, notify=False)
    ticket_cc_remove(ticket=ticket, cc=bob, actor=SYSTEM)

    services.message_create(ticket=ticket, body="Done.", actor=actor_for(agent.user))

    assert emails_to("bob@example.org") == []


def test_a_cc_reply_is_a_customer_message_under_the_ccs_address(category, agent):
    ticket = TicketFactory(category=category, status="pending", assigned_agent=agent)
    (bob,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM, notify=False)

    message = services.message_create(
        ticket=ticket, body="Still broken here.", actor=customer_actor(bob.email, bob.email), cc=bob
    )

    assert (message.author_type, message.author_name, message.author_email) == (
        "customer",
        "bob@example.org",
        "bob@example.org",
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"  # reopened, as the customer's own reply would
    assert Notification.objects.filter(user=agent.user, kind="ticket.customer_reply").exists()


# --- The API -----------------------------------------------------------------------------

NEW = {
    "subject": "Printer on fire",
    "description": "It is on fire, really.",
    "customer_email": "cleo@example.org",
    "category": "general",
}


def test_the_api_creates_a_ticket_with_ccs(category, integration_api):
    response = integration_api.post(
        "/api/support/tickets", {**NEW, "cc": ["Bob@Example.org", "carol@example.org"]}, format="json"
    )

    assert response.status_code == 201, response.json()
    ticket_id = response.json()["id"]
    listed = integration_api.get(f"/api/support/tickets/{ticket_id}/cc").json()
    assert [cc["email"] for cc in listed] == ["bob@example.org", "carol@example.org"]
    assert {email.kind for email in emails_to("bob@example.org")} == {"ticket.cc_added"}


@pytest.mark.parametrize(
    "cc",
    [["cleo@example.org"], ["nope"], [f"p{n}@example.org" for n in range(CC_MAX + 1)], "bob@example.org"],
    ids=["customer's own", "invalid", "too many", "not a list"],
)
def test_the_api_refuses_bad_ccs_on_create_naming_the_field(category, integration_api, cc):
    response = integration_api.post("/api/support/tickets", {**NEW, "cc": cc}, format="json")

    assert response.status_code == 400
    assert "cc" in response.json()
    assert not TicketCC.objects.exists()


def test_the_api_adds_lists_and_removes_ccs(category, agent_api):
    ticket = TicketFactory(category=category, customer_email="cleo@example.org")
    url = f"/api/support/tickets/{ticket.pk}/cc"

    added = agent_api.post(url, {"email": "Bob@example.org"}, format="json")
    again = agent_api.post(url, {"email": "bob@example.org"}, format="json")
    own = agent_api.post(url, {"email": "cleo@example.org"}, format="json")
    bad = agent_api.post(url, {"email": "bob"}, format="json")

    assert (added.status_code, again.status_code) == (201, 200)
    assert added.json()["email"] == "bob@example.org" and again.json()["id"] == added.json()["id"]
    assert own.status_code == 400 and list(own.json()) == ["email"]  # the body's field, for every refusal
    assert "customer's own address" in own.json()["email"][0]
    assert bad.status_code == 400 and list(bad.json()) == ["email"]
    assert [cc["email"] for cc in agent_api.get(url).json()] == ["bob@example.org"]
    removed = agent_api.delete(f"{url}/{added.json()['id']}")
    assert removed.status_code == 204
    assert agent_api.get(url).json() == []
    assert agent_api.delete(f"{url}/{added.json()['id']}").status_code == 404


def test_the_api_refuses_the_21st_cc(category, agent_api):
    ticket = TicketFactory(category=category)
    ticket_cc_add(ticket=ticket, emails=[f"p{n}@example.org" for n in range(CC_MAX)], actor=SYSTEM, notify=False)

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/cc", {"email": "one.more@example.org"}, format="json")

    assert response.status_code == 400
    assert "at most 20" in response.json()["email"][0]


def test_a_cc_message_names_its_author_in_the_api(category, agent_api):
    ticket = TicketFactory(category=category, status="open")
    (bob,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM, notify=False)
    services.message_create(ticket=ticket, body="Me too.", actor=customer_actor("Bob", bob.email), cc=bob)

    (message,) = agent_api.get(f"/api/support/tickets/{ticket.pk}").json()["messages"]

    assert (message["author_type"], message["author_name"], message["author_email"]) == (
        "customer",
        "Bob",
        "bob@example.org",
    )


def test_erasing_a_persons_data_erases_their_copies_and_authorship(category):
    from privacy.services import customer_erase

    ticket = TicketFactory(category=category, status="open")
    (bob,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM, notify=False)
    message = services.message_create(ticket=ticket, body="Me too.", actor=customer_actor("Bob", bob.email), cc=bob)

    counts = customer_erase("Bob@example.org")

    assert (counts["ccs"], counts["cc_messages"]) == (1, 1)
    message.refresh_from_db()
    assert (message.author_name, message.author_email, message.body) == ("", "", "Me too.")
    assert not TicketCC.objects.exists()
    assert "bob@example.org" not in " ".join(ticket.events.values_list("new_value", flat=True))
