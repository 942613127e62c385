"""Issue 19, points 2, 6 and 9 in Django admin: the mailboxes and how their last poll went, the
ledger with its quarantine (re-ingestable, the original downloadable), bounced addresses."""

from __future__ import annotations

import zlib
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default

import pytest
from django.utils import timezone
from django.utils.text import capfirst

from mail.models import BouncedAddress, InboundEmail, Mailbox, Outcome
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MAILBOXES = "/admin/mail/mailbox/"
EMAILS = "/admin/mail/inboundemail/"
BOUNCED = "/admin/mail/bouncedaddress/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def raw_email(
    *, sender: str = "Jane Roe <jane@example.org>", subject: str = "Printer on fire", uid: str = "1"
) -> bytes:
    message = EmailMessage(policy=default)
    if sender:
        message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uid}.admin-test@mail.example.org>"
    message["Date"] = "Mon, 30 Nov 2026 10:15:00 +0300"
    message.set_content("The printer in room 4 smokes when it prints in colour. What should we do?")
    return bytes(message)


def ledger_row(raw: bytes, *, outcome: str = Outcome.QUARANTINED, reason: str = "", **fields) -> InboundEmail:
    return InboundEmail.objects.create(
        email_id=fields.pop("email_id", f"row-{InboundEmail.objects.count()}@example.org"),
        content_hash=f"{InboundEmail.objects.count():064d}",
        route=fields.pop("route", "pipe"),
        outcome=outcome,
        reason=reason,
        size=len(raw),
        raw=zlib.compress(raw),
        **fields,
    )


def mailbox(category, name: str = "Support", **fields) -> Mailbox:
    values = {
        "host": "imap.example.com",
        "username": "support@example.com",
        "password_env": "IMAP_SUPPORT_PASSWORD",
        "category": category,
    }
    return Mailbox.objects.create(name=name, **{**values, **fields})


# --- Mailboxes ---------------------------------------------------------------------------


def test_the_mailbox_list_shows_each_last_poll_and_its_error(admin_client, category):
    now = timezone.now()
    mailbox(category, "Support", last_polled_at=now, last_success_at=now - timedelta(hours=2), last_error_at=now,
            last_error="LOGIN failed: [AUTHENTICATIONFAILED] Authentication failed. " + "x" * 200)  # fmt: skip
    mailbox(category, "Sales", host="imap.sales.example.com", last_polled_at=now, last_success_at=now)

    page = admin_client.get(MAILBOXES).content.decode()

    for column in ("Last poll", "Last success", "Last error", "State", "Server / folder"):
        assert f">{column}</" in page
    assert f"{timezone.localtime(now):%-d %b %Y, %H:%M}" in page
    assert "imap.sales.example.com:993" in page
    assert "LOGIN failed: [AUTHENTICATIONFAILED]" in page and "x" * 100 not in page  # shortened
    assert page.count('<strong class="mail-failing">Failing</strong>') == 1  # Support
    assert ">Working</td>" in page  # Sales
    assert page.count('alt="True"') == 2  # both enabled


def test_the_mailbox_form_groups_its_fields_and_asks_for_an_env_var_name(admin_client, category):
    page = admin_client.get(f"{MAILBOXES}add/").content.decode()

    for heading in ("Server", "Folders", "New tickets", "Last poll"):
        assert f">{heading}</h2>" in page
    assert "the name of the environment variable that holds the password" in page.lower()
    assert 'type="password"' not in page

    form = {
        "name": "Support",
        "enabled": "on",
        "host": "imap.example.com",
        "port": "993",
        "security": "tls",
        "username": "support@example.com",
        "password_env": "hunter2 secret!",
        "folder": "INBOX",
        "category": category.pk,
        "priority": "normal",
        "after_import": "move",
        "move_to": "",
    }
    refused = admin_client.post(f"{MAILBOXES}add/", form).content.decode()

    assert "Give the name of an environment variable" in refused
    assert "Name the folder to move imported mail to." in refused
    assert not Mailbox.objects.exists()

    response = admin_client.post(
        f"{MAILBOXES}add/", {**form, "password_env": " IMAP_SUPPORT_PASSWORD ", "move_to": "Helpdesk/Imported"}
    )

    assert response.status_code == 302
    saved = Mailbox.objects.get()
    assert saved.password_env == "IMAP_SUPPORT_PASSWORD" and saved.move_to == "Helpdesk/Imported"


def test_poll_now_takes_the_mail_in_and_says_so(dovecot, imap_user, make_mailbox, admin_client):
    dovecot.append(imap_user, raw_email(uid="poll-now"))
    box = make_mailbox(imap_user)

    response = admin_client.post(MAILBOXES, {"action": "poll_now", "_selected_action": [box.pk]}, follow=True)

    page = response.content.decode()
    assert f"{capfirst(imap_user)}: 1 emails taken, 1 new (0 quarantined, 0 refused)." in page
    assert Ticket.objects.get().subject == "Printer on fire"
    box.refresh_from_db()
    assert box.last_success_at is not None and not box.failing


def test_poll_now_shows_why_a_poll_failed(admin_client, category, closed_port, monkeypatch):
    monkeypatch.setenv("IMAP_SUPPORT_PASSWORD", "secret")
    box = mailbox(category, host="127.0.0.1", port=closed_port, security="none")

    response = admin_client.post(MAILBOXES, {"action": "poll_now", "_selected_action": [box.pk]}, follow=True)

    page = response.content.decode()
    box.refresh_from_db()
    assert box.failing and "refused" in box.last_error.lower()
    assert f"Support: the poll failed: {box.last_error}" in page


# --- The ledger and its quarantine -------------------------------------------------------


def test_the_ledger_lists_emails_and_filters_the_quarantine(admin_client, category):
    ticket = Ticket.objects.create(subject="Hello", description="Hello there, a question.", customer_email="a@ex.org",
                                   category=category)  # fmt: skip
    box = mailbox(category)
    ledger_row(raw_email(subject="Became a ticket"), outcome=Outcome.TICKET, ticket=ticket, subject="Became a ticket",
               from_address="jane@example.org", route="imap", mailbox=box)  # fmt: skip
    ledger_row(b"garbage", reason="no headers: this is not an email", subject="")

    everything = admin_client.get(EMAILS).content.decode()
    quarantine = admin_client.get(EMAILS, {"outcome": "quarantined"}).content.decode()
    by_mailbox = admin_client.get(EMAILS, {"mailbox__id__exact": box.pk}).content.decode()
    by_pipe = admin_client.get(EMAILS, {"route": "pipe"}).content.decode()

    assert "Became a ticket" in everything and "no headers: this is not an email" in everything
    assert f'href="/agent/tickets/{ticket.pk}">#{ticket.pk}</a>' in everything
    assert "Quarantine" in everything  # the filter, first of the outcomes
    assert "no headers: this is not an email" in quarantine and "Became a ticket" not in quarantine
    assert "Became a ticket" in by_mailbox and "no headers" not in by_mailbox
    assert "no headers" in by_pipe and "Became a ticket" not in by_pipe
    assert "by IMAP" in everything and "by the MTA pipe" in everything
    assert "delete_selected" not in everything  # the ledger keeps its rows


def test_an_email_page_is_read_only_with_its_original_to_download(admin_client):
    raw = raw_email(subject="Read me")
    row = ledger_row(raw, reason="could not be processed: ValueError: odd", subject="Read me")

    page = admin_client.get(f"{EMAILS}{row.pk}/change/").content.decode()
    download = admin_client.get(f"{EMAILS}{row.pk}/original/")

    assert "could not be processed: ValueError: odd" in page
    assert "the MTA pipe" in page  # its route, in words
    assert f'href="{EMAILS}{row.pk}/original/"' in page
    assert 'name="_save"' not in page
    assert f"{EMAILS}{row.pk}/delete/" in page  # a quarantined row may be dismissed
    assert download.status_code == 200
    assert download["Content-Type"] == "message/rfc822"
    assert download["Content-Disposition"] == f'attachment; filename="email-{row.pk}.eml"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download.content == raw
    assert admin_client.get(f"{EMAILS}999999/original/").status_code == 404


def test_only_quarantined_rows_can_be_deleted(admin_client):
    ticketed = ledger_row(raw_email(), outcome=Outcome.AUTOMATIC)

    assert admin_client.post(f"{EMAILS}{ticketed.pk}/delete/", {"post": "yes"}).status_code == 403
    assert InboundEmail.objects.filter(pk=ticketed.pk).exists()


def test_people_who_are_not_staff_get_no_original(client, agent):
    row = ledger_row(raw_email())
    assert client.get(f"{EMAILS}{row.pk}/original/").status_code == 302  # to the admin's sign-in

    client.force_login(agent.user)  # an agent, not staff
    assert client.get(f"{EMAILS}{row.pk}/original/").status_code == 302


def test_reingest_reads_quarantined_emails_again_and_keeps_those_that_still_fail(admin_client, category):
    readable = ledger_row(raw_email(uid="ok"), reason="could not be processed: a bug since fixed")
    unreadable = ledger_row(raw_email(sender="", uid="no-from"), reason="no sender")
    done = ledger_row(raw_email(uid="done"), outcome=Outcome.AUTOMATIC, reason="Auto-Submitted: auto-replied")

    response = admin_client.post(
        EMAILS,
        {"action": "reingest_selected", "_selected_action": [readable.pk, unreadable.pk, done.pk]},
        follow=True,
    )

    page = response.content.decode()
    ticket = Ticket.objects.get()
    assert ticket.subject == "Printer on fire" and ticket.customer_email == "jane@example.org"
    assert f"Re-ingested 1: {readable.pk}: opened a ticket (ticket #{ticket.pk})." in page
    assert f"Email {unreadable.pk} is still in quarantine: re-ingest failed: Unreadable: no sender address" in page
    assert "1 selected were not in quarantine" in page
    readable.refresh_from_db()
    unreadable.refresh_from_db()
    done.refresh_from_db()
    assert readable.outcome == Outcome.TICKET and readable.reingested_at is not None
    assert unreadable.outcome == Outcome.QUARANTINED
    assert unreadable.reason.startswith("re-ingest failed: Unreadable: no sender address")
    assert done.outcome == Outcome.AUTOMATIC and done.reason == "Auto-Submitted: auto-replied"


# --- Bounced addresses --------------------------------------------------------------------


def test_bounced_addresses_are_listed_searched_and_unflagged(admin_client):
    BouncedAddress.objects.create(email="gone@example.org", reason="550 5.1.1 user unknown", bounces=3)
    BouncedAddress.objects.create(email="full@example.net", reason="552 mailbox full")

    listed = admin_client.get(BOUNCED).content.decode()
    found = admin_client.get(BOUNCED, {"q": "gone"}).content.decode()

    assert "gone@example.org" in listed and "550 5.1.1 user unknown" in listed and "full@example.net" in listed
    assert "gone@example.org" in found and "full@example.net" not in found

    gone = BouncedAddress.objects.get(email="gone@example.org")
    response = admin_client.post(BOUNCED, {"action": "unflag", "_selected_action": [gone.pk]}, follow=True)

    assert "Un-flagged 1: gone@example.org." in response.content.decode()
    assert list(BouncedAddress.objects.values_list("email", flat=True)) == ["full@example.net"]
