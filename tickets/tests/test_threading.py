"""Outgoing email threading (tickets.threading): ids, chains, the signed reply address."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.roles import actor_for, customer_actor
from notifications.delivery import notifications_deliver_due
from tickets import services
from tickets.models import ThreadMessageId
from tickets.services import EmailEnvelope
from tickets.threading import reply_address, reply_token, ticket_id_from_address

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _support(settings):
    settings.SUPPORT_EMAIL = "support@example.com"
    settings.SITE_URL = "https://help.example.com"
    settings.TICKETS_AUTO_ASSIGN = False


def _sent() -> list:
    notifications_deliver_due()
    sent = [message_from_bytes(email.message().as_bytes(), policy=policy.default) for email in mail.outbox]
    mail.outbox.clear()
    return sent


def _ticket(category, **kwargs):
    return services.ticket_create(
        subject="Cannot log in",
        description="The login page says my password is wrong.",
        customer_email="cleo@example.org",
        category=category,
        actor=customer_actor("Cleo", "cleo@example.org"),
        channel="portal",
        **kwargs,
    )


def test_every_customer_email_of_a_ticket_threads_on_the_ones_before(category, agent):
    ticket = _ticket(category, email_message_id="<first@mail.example.org>")
    (ack,) = _sent()
    services.message_create(
        ticket=ticket,
        body="Still broken",
        actor=customer_actor("Cleo", "cleo@example.org"),
        email=EmailEnvelope(message_id="<second@mail.example.org>", from_address="cleo@example.org"),
    )
    services.message_create(ticket=ticket, body="Try resetting it here.", actor=actor_for(agent.user))
    (reply,) = _sent()

    for email in (ack, reply):
        assert email["Message-ID"].endswith("@help.example.com>")
        assert email["Subject"].startswith(f"[#{ticket.pk}] ")
        assert email["Reply-To"] == reply_address(ticket.pk)
        assert email.get_body(("plain",)) is not None and email.get_body(("html",)) is not None
    assert ack["Auto-Submitted"] == "auto-replied"
    assert reply["Auto-Submitted"] is None  # a person wrote it
    # The customer's own ids are in the chain; the reply answers the newest of them.
    assert ack["In-Reply-To"] == "<first@mail.example.org>"
    assert reply["In-Reply-To"] == "<second@mail.example.org>"
    assert reply["References"].split() == ["<first@mail.example.org>", ack["Message-ID"], "<second@mail.example.org>"]
    # Each id is stored, the reply's with the message it carried.
    stored = ThreadMessageId.objects.get(email_id=reply["Message-ID"].strip("<>"))
    assert stored.ticket_id == ticket.pk and stored.outgoing and stored.message.body == "Try resetting it here."
    # Only the new message, below the marker the customer answers above; no history.
    text = reply.get_body(("plain",)).get_content()
    assert text.splitlines()[0] == "--- reply above this line ---"
    assert "Try resetting it here." in text and "Still broken" not in text


def test_the_signed_reply_address_routes_to_its_ticket_and_cannot_be_altered(settings):
    address = reply_address(42)
    assert address.startswith("support+t42-") and address.endswith("@example.com")
    assert ticket_id_from_address(address) == 42
    assert ticket_id_from_address(address.upper()) == 42  # a mail system that changes case
    token = reply_token(42)
    signature = token.split("-", 1)[1]
    forged = [
        f"support+t43-{signature}@example.com",  # another ticket, same signature
        f"support+t42-{signature[:-1]}0@example.com"
        if signature[-1] != "0"
        else f"support+t42-{signature[:-1]}1@example.com",
        f"support+t42-{signature}@elsewhere.example",
        f"sales+t42-{signature}@example.com",
        "support@example.com",
        "support+t42@example.com",
    ]
    assert [ticket_id_from_address(value) for value in forged] == [None] * len(forged)
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    assert ticket_id_from_address(address) is None


def test_a_long_message_id_is_written_plain_never_encoded(category):
    long_id = "<" + "a" * 60 + "." + "b" * 60 + "@outlook.example.com>"
    assert len(long_id) > 120
    _ticket(category, email_message_id=long_id)
    notifications_deliver_due()
    raw = mail.outbox[-1].message().as_bytes()
    headers = raw.split(b"\n\n", 1)[0].replace(b"\n ", b" ").replace(b"\n\t", b" ")
    in_reply_to = next(line for line in headers.split(b"\n") if line.startswith(b"In-Reply-To:"))
    assert b"=?" not in headers
    assert b" ".join(in_reply_to.split()) == b"In-Reply-To: " + long_id.encode()  # folded at most


def test_a_long_thread_references_its_root_and_its_newest_ids(category):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.threading import REFERENCES_MAX, thread_ids

    ticket = _ticket(category, email_message_id="<root@mail.example.org>")
    ThreadMessageId.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=1))
    start = timezone.now()
    ThreadMessageId.objects.bulk_create(
        ThreadMessageId(
            ticket=ticket, email_id=f"m{n}@mail.example.org", outgoing=False, created_at=start + timedelta(seconds=n)
        )
        for n in range(30)
    )
    ids = thread_ids(ticket.pk)
    assert len(ids) == REFERENCES_MAX
    assert ids[0] == "root@mail.example.org"
    assert ids[1:] == [f"m{n}@mail.example.org" for n in range(30 - (REFERENCES_MAX - 1), 30)]
    short = _ticket(category, email_message_id="<only@mail.example.org>")
    assert thread_ids(short.pk)[0] == "only@mail.example.org" and len(thread_ids(short.pk)) == 2  # + the ack


@pytest.mark.parametrize("email_message_id", ["", "<first@mail.example.org>"])
def test_a_new_tickets_acknowledgement_threads_without_reading_the_thread_back(category, email_message_id):
    """ticket_create knows the new ticket's thread (the customer's email, or nothing): its
    acknowledgement is not preceded by a read of tickets_threadmessageid."""
    with CaptureQueriesContext(connection) as queries:
        ticket = _ticket(category, email_message_id=email_message_id)

    reads = [q["sql"] for q in queries if "threadmessageid" in q["sql"] and q["sql"].startswith("SELECT")]
    assert reads == []
    (ack,) = _sent()
    if email_message_id:
        assert ack["In-Reply-To"] == email_message_id
        assert ack["References"] == email_message_id
    else:
        assert ack["In-Reply-To"] is None and ack["References"] is None
    assert set(ThreadMessageId.objects.filter(ticket=ticket).values_list("outgoing", flat=True)) == (
        {False, True} if email_message_id else {True}
    )
