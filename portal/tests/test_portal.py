"""Acceptance 8: the customer portal, its private links, and its limits."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.links import private_token, ticket_for_token
from tickets.models import Ticket
from tickets.tests.factories import AttachmentFactory, MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db

FORM = {
    "customer_name": "Jane Roe",
    "customer_email": "jane@example.org",
    "category": "general",
    "subject": "Lamp arrived broken",
    "description": "The lamp I ordered arrived with a cracked shade.",
}


def test_the_form_creates_a_portal_ticket_visible_in_the_api(client, category, agent_api):
    photo = SimpleUploadedFile("crack.png", b"\x89PNG fake", content_type="image/png")

    response = client.post("/portal/tickets/new", {**FORM, "attachments": [photo]})

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    # The token carries the second it was signed in, so it is read back, not compared as text.
    location = response["Location"]
    assert location.startswith("/portal/tickets/") and location.endswith("/submitted")
    assert ticket_for_token(location.split("/")[3]) == ticket
    api_view = agent_api.get(f"/api/support/tickets/{ticket.pk}").json()
    assert api_view["channel"] == "portal"
    assert api_view["customer_email"] == "jane@example.org"
    assert [a["name"] for a in api_view["attachments"]] == ["crack.png"]
    confirmation = client.get(response["Location"]).content.decode()
    assert f"#{ticket.pk}" in confirmation


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "too short", "at least 10 characters"),
        ("customer_email", "jane@", "valid email"),
        ("subject", "", "required"),
        ("subject", "x" * 256, "at most 255 characters"),
    ],
)
def test_the_form_shows_field_errors_and_creates_nothing(client, category, field, value, message):
    response = client.post("/portal/tickets/new", {**FORM, field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_form_needs_a_csrf_token(category):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/portal/tickets/new", FORM)

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_the_form_refuses_disallowed_and_oversized_files(client, category, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    page = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/plain")
    big = SimpleUploadedFile("big.txt", b"x" * 101, content_type="text/plain")

    for upload, reason in ((page, "cannot be attached"), (big, "the limit is 100")):
        response = client.post("/portal/tickets/new", {**FORM, "attachments": [upload]})
        assert response.status_code == 400
        assert reason in response.content.decode()
    assert not Ticket.objects.exists()


def test_uploaded_file_names_are_sanitised(client, category):
    evil = SimpleUploadedFile("../../etc/pass wd;.txt", b"hello", content_type="text/plain")

    client.post("/portal/tickets/new", {**FORM, "attachments": [evil]})

    attachment = Ticket.objects.get().attachments.get()
    assert attachment.name == "pass_wd.txt"
    assert ".." not in attachment.file.name


def test_too_many_submissions_from_one_address_get_a_429_page(client, category, settings):
    settings.PORTAL_TICKET_RATE = "3/h"

    statuses = [client.post("/portal/tickets/new", FORM).status_code for _ in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert Ticket.objects.count() == 3
    limited = client.post("/portal/tickets/new", FORM)
    assert "Too many requests" in limited.content.decode()
    assert limited["Retry-After"]


@pytest.mark.parametrize("token", ["garbage", "WzEsImFiYyJd:1abc:def"])
def test_an_unknown_or_tampered_link_answers_404(client, token):
    TicketFactory()

    assert client.get(f"/portal/tickets/{token}/").status_code == 404


def test_a_link_with_the_signature_of_another_ticket_answers_404(client):
    mine, theirs = TicketFactory(), TicketFactory()
    token = private_token(mine)
    payload, signature = token.split(":", 1)
    forged = private_token(theirs).split(":", 1)[0] + ":" + signature

    assert client.get(f"/portal/tickets/{forged}/").status_code == 404
    assert client.get(f"/portal/tickets/{payload}:{signature}/").status_code == 200


def test_rotating_the_access_key_revokes_old_links(client):
    ticket = TicketFactory()
    old = private_token(ticket)
    ticket.access_key = "rotated-key"
    ticket.save()

    assert client.get(f"/portal/tickets/{old}/").status_code == 404


def test_a_customer_cannot_reach_another_customers_ticket_through_any_url(client):
    mine, theirs = TicketFactory(), TicketFactory()
    their_reply = MessageFactory(ticket=theirs, author_type="agent")
    their_file = AttachmentFactory(ticket=theirs)
    token = private_token(mine)

    assert client.get(f"/portal/tickets/{token}/attachments/{their_file.pk}").status_code == 404
    assert client.post(f"/portal/tickets/{token}/messages/{their_reply.pk}/rate", {"rating": 1}).status_code == 404
    assert client.get(f"/api/support/tickets/{theirs.pk}").status_code == 401
    their_reply.refresh_from_db()
    assert their_reply.rating is None


def test_the_customer_replies_through_the_private_link(client, django_capture_on_commit_callbacks, agent):
    ticket = TicketFactory(status="pending", assigned_agent=agent)
    url = f"/portal/tickets/{private_token(ticket)}/"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Here is the order number: 1234"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.messages.get().author_type == "customer"
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert "order number: 1234" in client.get(url).content.decode()


def test_an_empty_reply_is_refused_with_a_message(client):
    ticket = TicketFactory()

    response = client.post(f"/portal/tickets/{private_token(ticket)}/", {"body": ""})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not ticket.messages.exists()


def test_a_closed_ticket_offers_no_reply_form_and_refuses_replies(client):
    ticket = TicketFactory(status="closed")
    url = f"/portal/tickets/{private_token(ticket)}/"

    assert "Send reply" not in client.get(url).content.decode()
    response = client.post(url, {"body": "Hello again"})

    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert not ticket.messages.exists()


def test_the_customer_rates_a_reply_once(client):
    reply = MessageFactory(author_type="agent")
    url = f"/portal/tickets/{private_token(reply.ticket)}/messages/{reply.pk}/rate"

    client.post(url, {"rating": "5", "comment": "Great"})
    client.post(url, {"rating": "1"})

    reply.refresh_from_db()
    assert (reply.rating, reply.rating_comment) == (5, "Great")


def test_user_content_is_escaped(client):
    ticket = TicketFactory(subject="<script>alert('x')</script>")

    page = client.get(f"/portal/tickets/{private_token(ticket)}/").content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


def test_lookup_emails_the_links_of_every_ticket_of_an_address(client, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://testserver"
    first = TicketFactory(customer_email="jane@example.org")
    second = TicketFactory(customer_email="Jane@Example.org")
    TicketFactory(customer_email="someone-else@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/tickets/lookup", {"email": "jane@example.org"})

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    tokens = re.findall(r"/portal/tickets/([^/\s]+)/", body)
    assert sorted(ticket_for_token(t).pk for t in tokens) == sorted([first.pk, second.pk])


def test_lookup_answers_the_same_for_unknown_addresses(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/tickets/lookup", {"email": "nobody@example.org"})

    assert response.status_code == 200
    assert "If we have requests from" in response.content.decode()
    assert mail.outbox == []


def test_the_home_page_leads_to_the_form(client):
    page = client.get("/").content.decode()

    assert 'href="/portal/tickets/new"' in page
    assert client.get("/portal/tickets/new").status_code == 200
