"""Issue 19, point 7: one email conversation end to end, every part real.

A customer's email is APPENDed to a real IMAP server (dovecot); a real Celery worker's beat
polls it; the ticket and its acknowledgement (through a real SMTP server, aiosmtpd) carry the
signed Reply-To; an agent replies in the workspace in chromium and sets the ticket pending;
the customer answers that email from Gmail (quoted, HTML and text) and the answer is
APPENDed; it lands on the same ticket with the quote stripped, the SLA pause ended and the
agent notified.
"""

from __future__ import annotations

import time
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.conf import settings as django_settings

from agents.tests.factories import AgentFactory
from conftest import production_env, start_worker, stop_worker
from e2e.accounts import sign_in
from mail.models import InboundEmail, Mailbox
from mail.tests.dovecot import PASSWORD, Dovecot, simple_email
from notifications.models import Notification
from sla.tests.factories import SLAPolicyFactory
from tickets.models import Message, Ticket
from tickets.tests.factories import CategoryFactory
from tickets.threading import reply_address

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD_ENV = "HELPDESK_E2E_IMAP_PASSWORD"
SUPPORT = "support@example.com"


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot().start()
    yield server
    server.stop()


def wait_for(what: str, check, timeout: float = 45.0, worker=None):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker stopped while waiting for {what}:\n{worker.stdout.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def captured(smtp_server, to: str, subject_part: str):
    for item in smtp_server.messages:
        message = message_from_string(item["data"], policy=policy.default)
        if to in item["to"] and subject_part in str(message["Subject"]):
            return message
    return None


def gmail_reply(original, *, sender: str, text: str) -> bytes:
    """What Gmail sends when the customer answers `original` above the quote."""
    quoted_text = original.get_body(("plain",)).get_content()
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = original["Reply-To"]
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Message-ID"] = make_msgid(domain="mail.gmail.example")
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = f"{original.get('References', '')} {original['Message-ID']}".strip()
    reply["Date"] = "Sat, 05 Dec 2026 11:30:00 +0000"
    attribution = f"On Sat, Dec 5, 2026 at 11:20 AM Helpdesk <{SUPPORT}> wrote:"
    quote = "\n".join("> " + line if line else ">" for line in quoted_text.splitlines())
    reply.set_content(f"{text}\n\n{attribution}\n{quote}\n")
    reply.add_alternative(
        f'<div dir="ltr">{text}</div><br><div class="gmail_quote"><div class="gmail_attr">{attribution}</div>'
        f'<blockquote class="gmail_quote">{original.get_body(("html",)).get_content()}</blockquote></div>',
        subtype="html",
    )
    return reply.as_bytes()


def test_an_email_conversation_from_the_inbox_to_the_agent_and_back(
    new_page, site, settings, smtp_server, dovecot, tmp_path
):
    general = CategoryFactory(slug="general", name="General")
    SLAPolicyFactory(priority="normal", first_response_hours=4, resolution_hours=24)
    AgentFactory(user__username="agnes", name="Agnes Agent", specializations=[general])
    user = dovecot.new_user()
    Mailbox.objects.create(
        name="Support inbox",
        host=dovecot.host,
        port=dovecot.port,
        security=Mailbox.Security.NONE,
        username=user,
        password_env=PASSWORD_ENV,
        category=general,
    )
    # This process (the live server) sends through the same real SMTP server as the worker,
    # and signs reply addresses with the same key.
    settings.SUPPORT_EMAIL = SUPPORT
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    env = production_env(
        tmp_path,
        SECRET_KEY=django_settings.SECRET_KEY,
        SITE_URL=site,
        SUPPORT_EMAIL=SUPPORT,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        MAIL_POLL_SECONDS="1",
        TICKETS_AUTO_ASSIGN="true",
        **{PASSWORD_ENV: PASSWORD},
    )
    worker = start_worker(env, "-B", "--pool=threads", "--concurrency=2", "--without-heartbeat")
    try:
        # 1. The customer writes to support.
        dovecot.append(
            user,
            simple_email(
                subject="Printer jams on page 2",
                body="Every print job stops on the second page with a paper jam.",
                sender="Carla Customer <carla@customer.example>",
            ),
        )
        ticket = wait_for("the ticket", lambda: Ticket.objects.filter(channel="email").first(), worker=worker)
        assert ticket.subject == "Printer jams on page 2" and ticket.customer_email == "carla@customer.example"
        ack = wait_for("the acknowledgement", lambda: captured(smtp_server, "carla@customer.example", "received"))
        assert ack["Reply-To"] == reply_address(ticket.pk)
        assert str(ack["Subject"]).startswith(f"[#{ticket.pk}] ")
        assert ack["Auto-Submitted"] == "auto-replied"
        # Imported, then marked read in the mailbox (only after its row was committed).
        wait_for("the email marked read", lambda: all(b"\\Seen" in f for f in dovecot.messages(user).values()))

        # 2. The agent answers in the workspace and waits on the customer.
        agent = new_page()
        sign_in(agent, "agnes")
        agent.goto(f"/agent/tickets/{ticket.pk}")
        assert agent.get_by_text("Every print job stops on the second page").is_visible()
        agent.get_by_label("Message").fill("Please take the tray out and push it back in firmly.")
        agent.get_by_role("button", name="Send").click()
        assert agent.get_by_text("Reply sent to the customer.").is_visible()
        agent.get_by_label("Status").select_option("pending")
        agent.get_by_role("button", name="Save").click()
        assert agent.get_by_text("Ticket updated.").is_visible()
        ticket.refresh_from_db()
        assert ticket.status == "pending" and ticket.sla_paused_at is not None
        resolution_due_while_paused = ticket.resolution_due_at

        # 3. The customer answers the agent's email from Gmail, above the quote.
        def agent_reply_email():
            for item in smtp_server.messages:
                message = message_from_string(item["data"], policy=policy.default)
                if "tray out" in message.get_body(("plain",)).get_content():
                    return message
            return None

        answer = wait_for("the agent's reply by email", agent_reply_email)
        assert answer["Reply-To"] == reply_address(ticket.pk) and answer["Auto-Submitted"] is None
        dovecot.append(
            user,
            gmail_reply(
                answer, sender="Carla Customer <carla@customer.example>", text="Done that, it still jams on page 2."
            ),
        )
        reply = wait_for(
            "the customer's reply on the ticket",
            lambda: Message.objects.filter(ticket=ticket, source="email", author_type="customer").first(),
            worker=worker,
        )
        assert reply.body == "Done that, it still jams on page 2."
        assert Ticket.objects.count() == 1
        ticket.refresh_from_db()
        assert ticket.status == "open" and ticket.sla_paused_at is None
        assert ticket.resolution_due_at > resolution_due_while_paused  # the paused time moved it on
        assert Notification.objects.filter(
            kind="ticket.customer_reply", user=ticket.assigned_agent.user, channel="dashboard"
        ).exists()
        assert InboundEmail.objects.filter(ticket=ticket).count() == 2

        # The agent sees it where the conversation is.
        agent.goto(f"/agent/tickets/{ticket.pk}")
        assert agent.locator(".conversation .body", has_text="Done that, it still jams on page 2.").is_visible()
        # The quote was not stored again: only the agent's own message says it (the folded
        # "Formatted version" of the customer's email is the whole email, quote included).
        assert agent.locator(".conversation .body", has_text="Please take the tray out").count() == 1
    finally:
        output = stop_worker(worker)
    assert "Traceback" not in output, output
