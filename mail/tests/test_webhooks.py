"""Providers' inbound webhooks: the provider's checks, then the one ingest (mail.webhook_urls)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from django.test import Client
from django.urls import reverse

from mail.models import InboundEmail
from tickets.models import Category, Ticket

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key"
RAW = (
    "From: Dana Customer <dana@example.org>\r\n"
    "To: support@example.com\r\n"
    "Subject: Webhook delivery\r\n"
    "Message-ID: <hook-1@example.org>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "The invoice page shows an error since this morning.\r\n"
)


@pytest.fixture(autouse=True)
def _webhooks_on(settings):
    settings.SUPPORT_EMAIL = "support@example.com"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    Category.objects.create(slug="general", name="General")


def _auth(secret: str = "hook:s3cret") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _mailgun(raw: str = RAW, *, timestamp: float | None = None, key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    token = "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"body-mime": raw, "timestamp": timestamp, "token": token, "signature": signature}


def test_a_signed_mailgun_call_opens_a_ticket_and_its_retry_does_nothing_more():
    url = reverse("mail-inbound:mailgun")
    payload = _mailgun()
    first = Client().post(url, payload, **_auth())
    retry = Client().post(url, payload, **_auth())
    assert (first.status_code, retry.status_code) == (200, 200)
    ticket = Ticket.objects.get()
    assert ticket.channel == "email" and ticket.customer_email == "dana@example.org"
    assert "invoice page" in ticket.description
    assert InboundEmail.objects.get().route == "webhook"


@pytest.mark.parametrize(
    ("payload", "auth"),
    [
        (_mailgun(key="not-the-key"), _auth()),  # forged signature
        (_mailgun(), _auth("hook:wrong")),  # wrong basic auth
        (_mailgun(), {}),  # no basic auth
        (_mailgun(timestamp=time.time() - 600), _auth()),  # a captured call replayed ten minutes later
    ],
    ids=["forged-signature", "wrong-password", "no-auth", "replayed"],
)
def test_a_call_that_fails_the_checks_is_refused_and_stores_nothing(payload, auth):
    response = Client().post(reverse("mail-inbound:mailgun"), payload, **auth)
    assert response.status_code in (400, 401, 403)
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()


def test_postmark_raw_email_with_basic_auth():
    payload = {"RawEmail": RAW, "Headers": [], "FromFull": {"Email": "dana@example.org"}}
    response = Client().post(reverse("mail-inbound:postmark"), payload, content_type="application/json", **_auth())
    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Webhook delivery"


def test_a_payload_not_in_the_provider_format_is_a_400_not_a_500():
    response = Client().post(reverse("mail-inbound:postmark"), "{not json", content_type="application/json", **_auth())
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_the_webhooks_are_off_without_a_secret(settings):
    settings.ANYMAIL = {}
    response = Client().post(reverse("mail-inbound:mailgun"), _mailgun(), **_auth())
    assert response.status_code == 404
    assert not Ticket.objects.exists()
