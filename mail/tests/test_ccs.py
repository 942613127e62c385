"""Inbound email and CCs (issue 22, point 6): the other people a new request is written to
become the ticket's CCs (never our own addresses); a CC answering the thread by email is a
reply under their address; new people on a reply are copied too, within the bound."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest

from agents.roles import SYSTEM
from mail.ingest import ingest
from mail.models import Mailbox, Outcome
from mail.tests.corpus import CUSTOMER, SUPPORT, crlf
from notifications.models import Channel, Notification
from tickets.ccs import CC_MAX, ticket_cc_add
from tickets.models import AuthorType, EventKind, TicketCC
from tickets.tests.factories import CategoryFactory
from tickets.threading import reply_address

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_settings(settings, db):
    settings.SUPPORT_EMAIL = SUPPORT
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <noreply@example.com>"
    CategoryFactory(slug="general", name="General")


def email(*, sender=f"Anna <{CUSTOMER}>", to=SUPPORT, cc="", headers=None, text="Hello, the printer is offline again.",
          subject="Printer offline", message_id="<m1@mail.example.org>") -> bytes:  # fmt: skip
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return crlf(message.as_bytes())


def ccs(ticket) -> list[str]:
    return list(TicketCC.objects.filter(ticket=ticket).order_by("id").values_list("email", flat=True))


def test_the_others_a_new_request_is_written_to_become_its_ccs():
    general = CategoryFactory(slug="general")
    Mailbox.objects.create(
        name="billing",
        host="imap.example.com",
        username="billing@example.com",
        category=general,
        password_env="IMAP_BILLING_PASSWORD",
    )
    raw = email(
        to=f"{SUPPORT}, Bob <Bob@example.org>, billing@example.com",
        cc=f"carol@example.net, {CUSTOMER}, noreply@example.com, support+t9-0000@example.com, alias@example.com",
        headers={"Delivered-To": "alias@example.com"},
    )

    row = ingest(raw, route="pipe")

    assert row.outcome == Outcome.TICKET
    assert ccs(row.ticket) == ["bob@example.org", "carol@example.net"]
    # They had the email already: no "you are copied" email with the acknowledgement.
    assert not Notification.objects.filter(channel=Channel.EMAIL, kind="ticket.cc_added").exists()
    assert row.ticket.events.filter(kind=EventKind.CC).count() == 2


def test_a_new_request_to_too_many_people_is_taken_with_the_first_ccs():
    others = ", ".join(f"p{n}@example.org" for n in range(CC_MAX + 5))

    row = ingest(email(cc=others), route="pipe")

    assert row.outcome == Outcome.TICKET
    assert len(ccs(row.ticket)) == CC_MAX


def test_a_cc_answering_by_email_is_a_reply_under_their_address():
    row = ingest(email(cc="Bob Boss <bob@example.org>"), route="pipe")
    ticket = row.ticket

    answer = ingest(
        email(
            sender="Bob Boss <Bob@example.org>",
            to=reply_address(ticket.pk),
            subject=f"Re: [#{ticket.pk}] Printer offline",
            message_id="<m2@mail.example.org>",
            text="It is the toner, I checked.",
        ),
        route="pipe",
    )

    assert (answer.outcome, answer.ticket) == (Outcome.REPLY, ticket)
    message = answer.message
    assert (message.internal, message.author_type) == (False, AuthorType.CUSTOMER)
    assert (message.author_name, message.author_email, message.email_from) == (
        "Bob Boss",
        "bob@example.org",
        "Bob@example.org",
    )


def test_someone_not_copied_still_writes_an_internal_note():
    ticket = ingest(email(), route="pipe").ticket

    answer = ingest(
        email(
            sender="Mallory <mallory@example.net>",
            to=reply_address(ticket.pk),
            cc="eve@example.net",
            message_id="<m3@mail.example.org>",
            text="Let me in.",
        ),
        route="pipe",
    )

    assert answer.outcome == Outcome.NOTE
    assert answer.message.internal and answer.message.author_email == ""
    assert ccs(ticket) == []  # a stranger does not copy anyone


def test_the_customers_reply_copies_new_people_within_the_bound():
    ticket = ingest(email(cc="bob@example.org"), route="pipe").ticket
    ticket_cc_add(ticket=ticket, emails=[f"p{n}@example.org" for n in range(CC_MAX - 2)], actor=SYSTEM, notify=False)

    answer = ingest(
        email(
            to=reply_address(ticket.pk),
            cc="bob@example.org, dora@example.org, emil@example.org",
            message_id="<m4@mail.example.org>",
            text="Adding my colleagues.",
        ),
        route="pipe",
    )

    assert answer.outcome == Outcome.REPLY
    found = ccs(ticket)
    assert len(found) == CC_MAX
    assert "dora@example.org" in found and "emil@example.org" not in found


def test_an_answer_to_a_merged_tickets_email_lands_on_the_ticket_it_was_merged_into(agent):
    from agents.roles import actor_for
    from tickets.merging import ticket_merge
    from tickets.models import Message, Status
    from tickets.tests.factories import TicketFactory

    duplicate = TicketFactory(customer_email=CUSTOMER, status=Status.OPEN)
    survivor = TicketFactory(customer_email=CUSTOMER, status=Status.OPEN)
    ticket_merge(source=duplicate, target=survivor, actor=actor_for(agent.user))
    notice = Notification.objects.get(kind="ticket.merged")

    row = ingest(
        email(to=reply_address(duplicate.pk), text="Thanks, see you there.", message_id="<m9@mail.example.org>",
              headers={"In-Reply-To": notice.payload["headers"]["Message-ID"]}),
        route="pipe",
    )  # fmt: skip

    assert (row.outcome, row.ticket_id) == (Outcome.REPLY, survivor.pk)
    assert Message.objects.filter(ticket=survivor, body__startswith="Thanks, see you there.").exists()
