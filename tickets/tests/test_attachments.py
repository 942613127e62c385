from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.links import private_token
from tickets.models import Attachment
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def upload(name="log.txt", content=b"line 1\nline 2\n", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_file_posted_with_a_message_is_stored_and_downloadable(agent_api):
    ticket = TicketFactory()

    response = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "Log attached", "attachments": [upload()]},
        format="multipart",
    )

    assert response.status_code == 201
    [meta] = response.json()["attachments"]
    assert (meta["name"], meta["size"], meta["content_type"]) == ("log.txt", 14, "text/plain")
    download = agent_api.get(meta["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"line 1\nline 2\n"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([upload("run.exe", b"MZ", "application/x-msdownload")], "cannot be attached"),
        ([upload("page.html", b"<script>", "text/plain")], "cannot be attached"),
        ([upload("big.txt", b"x" * 2048)], "the limit is"),
        ([upload(f"f{i}.txt") for i in range(6)], "At most 5 files"),
    ],
)
def test_files_outside_the_limits_are_refused_with_the_field_named(agent_api, settings, files, message):
    settings.ATTACHMENT_MAX_BYTES = 1024
    settings.ATTACHMENT_MAX_FILES = 5
    ticket = TicketFactory()

    response = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "See files", "attachments": files},
        format="multipart",
    )

    assert response.status_code == 400
    assert message in " ".join(response.json()["attachments"])
    assert not ticket.messages.exists()
    assert not Attachment.objects.exists()


def test_files_can_come_with_a_new_ticket(agent_api, category):
    response = agent_api.post(
        "/api/support/tickets/with-attachments",
        {
            "subject": "Screenshot",
            "description": "See the screenshot attached.",
            "customer_email": "a@b.org",
            "category": "general",
            "attachments": [upload("shot.png", b"\x89PNG", "image/png")],
            "tags": ["screens", "ui"],
        },
        format="multipart",
    )

    assert response.status_code == 201
    assert [a["name"] for a in response.json()["attachments"]] == ["shot.png"]
    assert response.json()["tags"] == ["screens", "ui"]  # a list field as repeated form fields


def test_an_attachment_of_another_ticket_is_not_served(agent_api):
    mine, theirs = TicketFactory(), TicketFactory()
    agent_api.post(
        f"/api/support/tickets/{theirs.pk}/messages/with-attachments",
        {"body": "x", "attachments": [upload()]},
        format="multipart",
    )
    attachment = Attachment.objects.get()

    assert agent_api.get(f"/api/support/tickets/{mine.pk}/attachments/{attachment.pk}").status_code == 404


def test_a_missing_file_answers_404_not_500(agent_api):
    ticket = TicketFactory()
    agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "x", "attachments": [upload()]},
        format="multipart",
    )
    attachment = Attachment.objects.get()
    attachment.file.storage.delete(attachment.file.name)

    assert agent_api.get(f"/api/support/tickets/{ticket.pk}/attachments/{attachment.pk}").status_code == 404


def test_a_customers_download_through_the_private_link_is_never_cached(client, agent_api):
    """A customer's file on a shared computer must not stay in its browser's cache, nor in
    a proxy's: the portal download says no-store, as every attachment download does."""
    ticket = TicketFactory()
    agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "Invoice", "attachments": [upload()]},
        format="multipart",
    )
    attachment = Attachment.objects.get(ticket=ticket)

    download = client.get(f"/portal/tickets/{private_token(ticket)}/attachments/{attachment.pk}")

    assert download.status_code == 200
    cache_control = {part.strip() for part in download["Cache-Control"].split(",")}
    assert {"no-cache", "no-store", "must-revalidate", "private"} <= cache_control
    assert download["Expires"]


def test_the_json_operations_refuse_a_form_or_multipart_body_with_415(agent_api, category):
    ticket = TicketFactory()

    for url in ["/api/support/tickets", f"/api/support/tickets/{ticket.pk}/messages"]:
        response = agent_api.post(url, {"body": "x", "attachments": [upload()]}, format="multipart")
        assert response.status_code == 415
        assert "multipart/form-data" in response.json()["detail"]
    assert not ticket.messages.exists()
    assert not Attachment.objects.exists()


def test_the_upload_operations_read_multipart_only(agent_api, category):
    ticket = TicketFactory()

    response = agent_api.post(f"/api/support/tickets/{ticket.pk}/messages/with-attachments", {"body": "x"})

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_the_upload_operations_want_a_file(agent_api, category):
    ticket = TicketFactory()

    response = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments", {"body": "No file"}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["attachments"]
    assert not ticket.messages.exists()


def test_files_named_in_a_json_body_are_refused_with_the_upload_operation_named(agent_api, category):
    ticket = TicketFactory()

    response = agent_api.post(
        f"/api/support/tickets/{ticket.pk}/messages", {"body": "See file", "attachments": ["log.txt"]}
    )

    assert response.status_code == 400
    assert "/with-attachments" in response.json()["attachments"][0]
    assert not ticket.messages.exists()


def test_an_integration_cannot_write_an_internal_note_with_files_either(integration_api):
    ticket = TicketFactory()

    response = integration_api.post(
        f"/api/support/tickets/{ticket.pk}/messages/with-attachments",
        {"body": "psst", "internal": True, "attachments": [upload()]},
        format="multipart",
    )

    assert response.status_code == 403
    assert not Attachment.objects.exists()
