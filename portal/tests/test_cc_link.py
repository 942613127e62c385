"""A CC's private link on the portal (issue 22, point 6): the public conversation, replies
under the CC's own address, no rating, files, and a removed CC's link answering 404. And the
contact form's CC field."""

from __future__ import annotations

import pytest

from agents.roles import SYSTEM
from tickets.ccs import ticket_cc_add, ticket_cc_remove
from tickets.links import cc_token, private_token
from tickets.models import Message, Ticket, TicketCC
from tickets.tests.factories import AttachmentFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def copied(category, agent):
    ticket = TicketFactory(category=category, customer_email="cleo@example.org", status="open", assigned_agent=agent)
    reply = MessageFactory(ticket=ticket, author_agent=agent, body="Have you tried turning it off?")
    MessageFactory(ticket=ticket, author_agent=agent, internal=True, body="NOTE-7f3a the customer is a VIP")
    (cc,) = ticket_cc_add(ticket=ticket, emails=["bob@example.org"], actor=SYSTEM, notify=False)
    return ticket, reply, cc


def test_a_cc_reads_the_public_conversation_without_notes_or_rating(client, copied):
    ticket, _reply, cc = copied

    page = client.get(f"/portal/tickets/{cc_token(cc)}/").content.decode()

    assert "Have you tried turning it off?" in page
    assert "NOTE-7f3a" not in page
    assert "bob@example.org" in page and "are copied on this request" in page
    assert "How helpful was this reply?" not in page
    customer_page = client.get(f"/portal/tickets/{private_token(ticket)}/").content.decode()
    assert "How helpful was this reply?" in customer_page


def test_a_cc_replies_as_themselves(client, copied, agent):
    ticket, _reply, cc = copied

    token = cc_token(cc)
    response = client.post(f"/portal/tickets/{token}/", {"body": "Same problem on my desk."})

    assert (response.status_code, response["Location"]) == (302, f"/portal/tickets/{token}/")
    message = Message.objects.get(body="Same problem on my desk.")
    assert (message.author_type, message.author_name, message.author_email) == (
        "customer",
        "bob@example.org",
        "bob@example.org",
    )
    client.force_login(agent.user)
    agent_page = client.get(f"/agent/tickets/{ticket.pk}").content.decode()
    assert "bob@example.org (CC)" in agent_page


def test_a_cc_cannot_rate_a_reply(client, copied):
    _ticket, reply, cc = copied

    response = client.post(f"/portal/tickets/{cc_token(cc)}/messages/{reply.pk}/rate", {"rating": 1})

    assert response.status_code == 404
    reply.refresh_from_db()
    assert reply.rating is None


def test_a_cc_downloads_public_files_only(client, copied, agent):
    ticket, reply, cc = copied
    public = AttachmentFactory(ticket=ticket, message=reply)
    note = Message.objects.get(internal=True)
    hidden = AttachmentFactory(ticket=ticket, message=note)

    assert client.get(f"/portal/tickets/{cc_token(cc)}/attachments/{public.pk}").status_code == 200
    assert client.get(f"/portal/tickets/{cc_token(cc)}/attachments/{hidden.pk}").status_code == 404


def test_a_removed_ccs_link_answers_404_everywhere(client, copied, agent):
    ticket, _reply, cc = copied
    token = cc_token(cc)
    ticket_cc_remove(ticket=ticket, cc=cc, actor=SYSTEM)

    assert client.get(f"/portal/tickets/{token}/").status_code == 404
    assert client.post(f"/portal/tickets/{token}/", {"body": "Hello?"}).status_code == 404
    assert not Message.objects.filter(body="Hello?").exists()


def test_a_ccs_link_is_not_the_submitted_page(client, copied):
    _ticket, _reply, cc = copied

    assert client.get(f"/portal/tickets/{cc_token(cc)}/submitted").status_code == 404


# --- The contact form --------------------------------------------------------------------

FORM = {
    "customer_name": "Jane Roe",
    "customer_email": "jane@example.org",
    "category": "general",
    "subject": "Lamp arrived broken",
    "description": "The lamp I ordered arrived with a cracked shade.",
}


def test_the_contact_form_copies_colleagues(client, category):
    response = client.post("/portal/tickets/new", {**FORM, "cc": "Bob@example.org, carol@example.org; bob@example.org"})

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert list(ticket.ccs.values_list("email", flat=True)) == ["bob@example.org", "carol@example.org"]


@pytest.mark.parametrize(
    ("cc", "words"),
    [
        ("bob@", "not a valid email address"),
        ("jane@example.org", "your own address"),
        (", ".join(f"p{n}@example.org" for n in range(21)), "at most 20"),
    ],
)
def test_the_contact_form_names_the_cc_field_in_its_errors(client, category, cc, words):
    response = client.post("/portal/tickets/new", {**FORM, "cc": cc})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["cc"] and words in errors["cc"][0]
    assert not Ticket.objects.exists() and not TicketCC.objects.exists()
