"""Data protection (issue 20, point 8): one customer's data exported whole, then erased so that
no text column of any table still holds their address or name, while counts, statuses and
SLA figures stay and another customer's data is untouched."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from agents.roles import actor_for, customer_actor
from feedback.tests.factories import FeedbackFactory, SurveyInvitationFactory
from mail.ingest import ingest
from mail.models import BouncedAddress, InboundEmail
from mail.tests.dovecot import simple_email
from notifications.delivery import notifications_deliver_due
from privacy.services import customer_erase, customer_export, erase_expired
from tickets import services
from tickets.models import Attachment, Message, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

NAME = "Cleo Zephyrine"
EMAIL = "cleo.zephyrine@example.org"
OTHER_NAME = "Otto Quillfeather"
OTHER_EMAIL = "otto.quillfeather@example.net"


def footprint(category, agent, name: str, email: str) -> Ticket:
    """Everything a customer leaves: a portal ticket with a file, replies both ways, an
    internal note naming them, a changed subject, feedback, a survey, an email ticket, the
    emails sent to them, a bounce."""
    customer = customer_actor(name, email)
    ticket = services.ticket_create(
        subject=f"Invoice for {name}",
        description=f"My name is {name}, write to {email}.",
        customer_email=email,
        customer_name=name,
        category=category,
        actor=customer,
        channel="portal",
        attachments=[SimpleUploadedFile("passport.pdf", b"%PDF-1.4 " + name.encode(), content_type="application/pdf")],
    )
    services.message_create(ticket=ticket, body=f"Hello {name}, we are on it.", actor=actor_for(agent.user))
    services.message_create(ticket=ticket, body=f"Thanks, {name.split()[0]} here again.", actor=customer)
    services.message_create(ticket=ticket, body=f"{name} called about it.", actor=actor_for(agent.user), internal=True)
    services.ticket_update(ticket=ticket, actor=actor_for(agent.user), subject=f"Refund for {name}")
    FeedbackFactory(ticket=ticket, customer_email=email, comment=f"Great help for {name}")
    SurveyInvitationFactory(ticket=ticket, customer_email=email)
    ingest(
        simple_email(subject=f"Question from {name}", body=f"I am {name}.", sender=f"{name} <{email}>"), route="pipe"
    )
    BouncedAddress.objects.create(email=email, reason="550 no such user", first_bounced_at=timezone.now(),
                                  last_bounced_at=timezone.now())  # fmt: skip
    notifications_deliver_due()
    return ticket


def holding(*needles: str) -> list[str]:
    """Every text column of every table that holds one of the needles: table.column."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        for table, column in cursor.fetchall():
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',  # noqa: S608  # nosec B608
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}: {needle}")
    return found


def test_an_export_holds_everything_and_an_erasure_leaves_nothing_identifying(
    category, agent, django_capture_on_commit_callbacks
):
    ticket = footprint(category, agent, NAME, EMAIL)
    other = footprint(category, agent, OTHER_NAME, OTHER_EMAIL)
    files = list(Attachment.objects.filter(ticket=ticket).values_list("file", flat=True))
    assert holding(EMAIL, "Zephyrine")  # the search sees them before

    archive = zipfile.ZipFile(io.BytesIO(customer_export(EMAIL)))
    data = json.loads(archive.read("data.json"))
    assert [t["subject"] for t in data["tickets"]] == [f"Refund for {NAME}", f"Question from {NAME}"]
    bodies = [m["body"] for m in data["tickets"][0]["messages"]]
    assert f"Hello {NAME}, we are on it." in bodies and f"{NAME} called about it." in bodies
    assert data["feedback"][0]["comment"] == f"Great help for {NAME}"
    assert any(NAME in email["text"] for email in data["emails_sent"])
    [attachment] = data["tickets"][0]["attachments"]
    assert archive.read(attachment["file"]) == b"%PDF-1.4 " + NAME.encode()
    [received] = data["emails_received"]
    assert f"I am {NAME}.".encode() in archive.read(received["file"])
    assert OTHER_EMAIL not in archive.read("data.json").decode()

    ticket.refresh_from_db()
    figures = (Ticket.objects.count(), Message.objects.count(), ticket.first_responded_at, ticket.status)
    assert ticket.first_responded_at is not None
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows are gone
        counts = customer_erase(EMAIL)

    assert holding(EMAIL, "Zephyrine") == []
    assert holding(OTHER_EMAIL, "Quillfeather")  # the other customer is untouched
    assert counts["tickets"] == 2 and counts["attachments"] == 1 and counts["bounced"] == 1
    ticket.refresh_from_db()
    assert (Ticket.objects.count(), Message.objects.count(), ticket.first_responded_at, ticket.status) == figures
    assert not Attachment.objects.filter(ticket=ticket).exists()
    storage = Attachment._meta.get_field("file").storage
    assert files and not any(storage.exists(name) for name in files)
    assert all(
        bytes(row.raw) == b"" for row in InboundEmail.objects.filter(ticket__customer_email__endswith="@erased.invalid")
    )
    assert Ticket.objects.get(pk=other.pk).customer_email == OTHER_EMAIL


def test_the_command_exports_and_erases(category, agent, tmp_path, capsys):
    footprint(category, agent, NAME, EMAIL)
    target = tmp_path / "cleo.zip"

    call_command("privacy", "export", EMAIL, "--output", str(target))
    assert "data.json" in zipfile.ZipFile(target).namelist()
    with pytest.raises(Exception, match="add --yes"):
        call_command("privacy", "erase", EMAIL)
    call_command("privacy", "erase", EMAIL, "--yes")

    assert holding(EMAIL, "Zephyrine") == []
    assert "Erased: " in capsys.readouterr().out


def test_retention_erases_closed_tickets_past_the_limit_only(category, agent, settings):
    settings.PRIVACY_RETENTION_DAYS = 365
    old = footprint(category, agent, NAME, EMAIL)
    recent = footprint(category, agent, OTHER_NAME, OTHER_EMAIL)
    Ticket.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=400))
    Ticket.objects.filter(pk=recent.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=100))

    assert erase_expired() == 1
    assert erase_expired() == 0  # erased tickets are not taken again

    old.refresh_from_db()
    assert old.subject == "[erased]" and old.customer_email.endswith("@erased.invalid")
    assert Ticket.objects.get(pk=recent.pk).customer_email == OTHER_EMAIL
    settings.PRIVACY_RETENTION_DAYS = 0
    Ticket.objects.filter(pk=recent.pk).update(closed_at=timezone.now() - timedelta(days=4000))
    assert erase_expired() == 0  # off


def test_the_api_exports_and_erases_for_admins_and_names_a_bad_field(category, agent, admin_user):
    footprint(category, agent, NAME, EMAIL)
    client = Client()
    client.force_login(admin_user)

    exported = client.post("/api/support/privacy/export", {"email": EMAIL.upper()}, content_type="application/json")
    refused = client.post("/api/support/privacy/erase", {"email": "not-an-address"}, content_type="application/json")
    erased = client.post("/api/support/privacy/erase", {"email": EMAIL}, content_type="application/json")

    assert exported.status_code == 200 and exported["Content-Type"] == "application/zip"
    assert json.loads(zipfile.ZipFile(io.BytesIO(exported.content)).read("data.json"))["tickets"]
    assert refused.status_code == 400 and "email" in refused.json()
    assert erased.status_code == 200 and erased.json()["erased"]["tickets"] == 2
    assert holding(EMAIL, "Zephyrine") == []


def test_the_admin_action_asks_then_erases(category, agent, admin_user):
    ticket = footprint(category, agent, NAME, EMAIL)
    client = Client()
    client.force_login(admin_user)
    chosen = {"action": "erase_customer_data", "_selected_action": [ticket.pk]}

    asked = client.post("/admin/tickets/ticket/", chosen)
    assert asked.status_code == 200 and "There is no undo" in asked.content.decode() and EMAIL in asked.content.decode()
    assert holding(EMAIL)  # nothing erased yet

    done = client.post("/admin/tickets/ticket/", {**chosen, "confirm": "yes"}, follow=True)
    assert "Erased the data of 1 customer(s)" in done.content.decode()
    assert holding(EMAIL, "Zephyrine") == []


def test_retention_goes_batch_by_batch(settings, monkeypatch):
    settings.PRIVACY_RETENTION_DAYS = 30
    monkeypatch.setattr("privacy.services.ERASE_BATCH", 2)
    old = timezone.now() - timedelta(days=60)
    tickets = [TicketFactory(status="closed", closed_at=old) for _ in range(5)]
    kept = TicketFactory(status="closed", closed_at=timezone.now())

    assert erase_expired() == 5
    assert all(Ticket.objects.get(pk=t.pk).subject == "[erased]" for t in tickets)
    assert Ticket.objects.get(pk=kept.pk).subject != "[erased]"


def test_retention_erases_what_webhooks_were_told_of_the_ticket(category, agent, settings):
    from notifications.models import Notification
    from notifications.webhooks import webhook_create

    settings.PRIVACY_RETENTION_DAYS = 365
    webhook_create(name="CRM", url="https://crm.example.com/in", events=["ticket.created", "message.created"])
    old = footprint(category, agent, NAME, EMAIL)
    recent = footprint(category, agent, OTHER_NAME, OTHER_EMAIL)
    Ticket.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=400))

    assert erase_expired() == 1

    rows = Notification.objects.filter(channel="webhook")
    about_old = [row.payload for row in rows if row.payload.get("data", {}).get("ticket", {}).get("id") == old.pk]
    assert about_old == []
    assert rows.filter(payload={"erased": True}).count() >= 2  # the old ticket's creation and replies
    assert any(row.payload.get("data", {}).get("ticket", {}).get("id") == recent.pk for row in rows)
