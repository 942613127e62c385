"""Issue 19, point 9 in the workspace: an email's origin and its original on the ticket page,
notes from another sender, the email that opened a ticket, follow-ups, addresses that bounce;
and the download of an original, for agents only."""

from __future__ import annotations

import zlib
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mail.ingest import ingest
from mail.models import BouncedAddress, InboundEmail, Outcome
from tickets.models import Message
from tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db

CUSTOMER = "jane@example.org"


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent.user)
    return client


def email(
    *,
    sender: str = f"Jane Roe <{CUSTOMER}>",
    subject: str = "The printer smokes",
    text: str = "The printer in room 4 smokes when it prints in colour. What should we do?",
    html: str | None = None,
    uid: str = "first",
    cc: str | None = None,
    in_reply_to: str | None = None,
) -> bytes:
    message = EmailMessage(policy=default)
    message["From"] = sender
    message["To"] = "support@example.com"
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = f"<{uid}@mail.example.org>"
    message["Date"] = "Mon, 30 Nov 2026 10:15:00 +0000"
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = f"<{in_reply_to}@mail.example.org>"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message)


@pytest.fixture
def thread(category):
    """A ticket opened by email, the customer's reply (HTML, with a Cc) and a colleague's
    answer to it, all through the ingest service as the worker runs it."""
    opened = ingest(email(), route="imap")
    ticket = opened.ticket
    reply = ingest(
        email(
            subject=f"Re: [#{ticket.pk}] The printer smokes",
            text="It also beeps three times.",
            html='<p>It also <b>beeps</b> three times.<script>alert("x")</script><img src="https://tracker.example/p.gif"></p>',
            uid="reply",
            cc="Bob Colleague <bob@example.net>",
        ),
        route="imap",
    )
    note = ingest(
        email(
            # Not Bob: copied on the customer's reply, he is a CC, whose mail is a reply.
            sender="Carl Colleague <carl@example.net>",
            subject="Re: The printer smokes",
            text="Jane's printer is the one on the second floor, I checked.",
            uid="colleague",
            in_reply_to="reply",
        ),
        route="imap",
    )
    assert (opened.outcome, reply.outcome, note.outcome) == (Outcome.TICKET, Outcome.REPLY, Outcome.NOTE)
    return {"ticket": ticket, "opened": opened, "reply": reply, "note": note}


def test_the_ticket_page_shows_where_each_email_came_from_with_its_original(signed_in, thread):
    ticket, opened, reply, note = thread["ticket"], thread["opened"], thread["reply"], thread["note"]

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert "Opened by email from jane@example.org, received" in page
    assert f'<a href="/agent/emails/{opened.pk}/original">Original email' in page
    assert "By email from jane@example.org to support@example.com, cc bob@example.net, sent 30 Nov 2026" in page
    assert f'<a href="/agent/emails/{reply.pk}/original">Original email' in page
    assert f'<a href="/agent/emails/{note.pk}/original">Original email' in page
    assert "from another sender: carl@example.net" in page
    assert page.count("from another sender") == 1  # the customer's own reply is no such note


def test_the_formatted_version_is_the_sanitized_html_folded_away(signed_in, thread):
    response = signed_in.get(f"/agent/tickets/{thread['ticket'].pk}")
    page = response.content.decode()

    assert '<details class="email-html"><summary>Formatted version</summary>' in page
    assert "<p>It also <b>beeps</b> three times." in page
    assert "<script>" not in page.split("Formatted version", 1)[1].split("</details>", 1)[0]
    assert 'alert("x")' not in page
    # A remote image (a tracking pixel, say) stays in the HTML but is never fetched: the page's
    # policy allows images from this site only.
    assert '<img src="https://tracker.example/p.gif">' in page
    assert "img-src 'self' data:;" in response["Content-Security-Policy"]


def test_the_download_gives_an_agent_the_email_as_received(signed_in, thread):
    reply = thread["reply"]

    response = signed_in.get(f"/agent/emails/{reply.pk}/original")

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="email-{reply.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"Message-ID: <reply@mail.example.org>" in response.content
    assert b"<script>" in response.content  # as received: the original is not sanitized, only never rendered


def test_only_agents_download_originals(client, integration_user, thread):
    path = f"/agent/emails/{thread['reply'].pk}/original"

    assert client.get(path)["Location"].startswith("/accounts/login/")
    client.force_login(integration_user)
    assert client.get(path).status_code == 403


def test_an_original_that_reached_no_ticket_or_does_not_exist_is_not_found(signed_in):
    quarantined = InboundEmail.objects.create(
        email_id="q@example.org", content_hash="0" * 64, route="pipe", outcome=Outcome.QUARANTINED,
        size=3, raw=zlib.compress(b"???"),
    )  # fmt: skip

    assert signed_in.get(f"/agent/emails/{quarantined.pk}/original").status_code == 404
    assert signed_in.get("/agent/emails/987654/original").status_code == 404
    assert signed_in.get(f"/agent/emails/{2**64}/original").status_code == 404


def test_a_bouncing_address_is_a_warning_with_its_date(signed_in):
    ticket = TicketFactory(customer_email="Gone@Example.org")
    bounced_at = timezone.now() - timedelta(days=2)
    BouncedAddress.objects.create(
        email="gone@example.org",
        reason="550 user unknown",
        bounces=3,
        first_bounced_at=bounced_at - timedelta(days=5),
        last_bounced_at=bounced_at,
    )

    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()

    assert "Mail to this address bounces:" in page
    assert f"came back undelivered on {timezone.localtime(bounced_at):%-d %b %Y}" in page
    assert "(3 times since" in page
    assert "Mail to this address bounces" not in signed_in.get(f"/agent/tickets/{TicketFactory().pk}").content.decode()


def test_a_follow_up_links_to_the_ticket_it_follows(signed_in):
    closed = TicketFactory(status="closed")
    follow_up = TicketFactory(follow_up_of=closed, channel="email")

    page = signed_in.get(f"/agent/tickets/{follow_up.pk}").content.decode()

    assert f'Follow-up of <a href="/agent/tickets/{closed.pk}">ticket #{closed.pk}</a>' in page
    assert "Follow-up of" not in signed_in.get(f"/agent/tickets/{closed.pk}").content.decode()


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_email_costs_the_ticket_page_a_constant_number_of_queries(signed_in, thread):
    ticket = thread["ticket"]
    # A ticket without email, of a customer with a profile as the email's has (the sidebar
    # reads a profile in one statement of its own).
    plain = TicketFactory(customer=ticket.customer)
    MessageFactory(ticket=plain, author_type="customer", source="portal")
    before = count(signed_in, f"/agent/tickets/{ticket.pk}")
    for index in range(15):
        ingest(
            email(subject=f"Re: [#{ticket.pk}] The printer smokes", text=f"One more detail, number {index}.",
                  html=f"<p>Detail {index}</p>", uid=f"more-{index}"),
            route="imap",
        )  # fmt: skip
    after = count(signed_in, f"/agent/tickets/{ticket.pk}")

    assert Message.objects.filter(ticket=ticket, source="email").count() == 17
    assert before == after
    # Beside a ticket without email: the ledger's rows of the ticket, one query.
    assert after - count(signed_in, f"/agent/tickets/{plain.pk}") == 1


def test_the_demo_data_has_email_to_show(settings, signed_in):
    from django.core.management import call_command

    from helpdesk.management.commands.seed_demo import DEMO_EMAIL_SUBJECT, Command
    from mail.models import Mailbox
    from tickets.models import Category, Ticket

    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    Command().seed_mail({category.slug: category for category in Category.objects.all()})  # a second run

    ticket = Ticket.objects.get(subject=DEMO_EMAIL_SUBJECT)
    outcomes = sorted(InboundEmail.objects.values_list("outcome", flat=True))
    assert outcomes == ["note", "quarantined", "reply", "ticket"]
    mailbox = Mailbox.objects.get()
    assert not mailbox.enabled and not mailbox.failing  # a form to fill in, not a server the worker tries
    page = signed_in.get(f"/agent/tickets/{ticket.pk}").content.decode()
    for shown in ("Opened by email", "from another sender", "Formatted version", "Mail to this address bounces"):
        assert shown in page
