"""The webhooks' admin: events as checkboxes, the secret shown once after creation and never
in the form, and a delivery log with a Redeliver action."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from notifications.models import Channel, Notification, Webhook
from notifications.webhooks import webhook_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_it_creates_a_webhook_from_checkboxes_and_shows_the_secret_once(admin_client):
    form = admin_client.get("/admin/notifications/webhook/add/").content.decode()
    assert 'type="checkbox" name="events" value="sla.violation"' in form
    assert "secret" not in form.lower().split("<form", 1)[1].split("</form>", 1)[0].replace("csrf", "")

    answer = admin_client.post(
        "/admin/notifications/webhook/add/",
        {"name": "CRM", "url": "https://crm.example.com/hook", "events": ["ticket.created", "sla.violation"],
         "active": "on"},
        follow=True,
    )  # fmt: skip

    webhook = Webhook.objects.get()
    assert webhook.events == ["ticket.created", "sla.violation"]
    shown = re.findall(r"shown this once: ([0-9a-f]{64})", answer.content.decode())
    assert shown == [webhook.secret]
    page = admin_client.get(f"/admin/notifications/webhook/{webhook.pk}/change/").content.decode()
    assert webhook.secret not in page


def test_the_admin_refuses_an_internal_url(admin_client, settings):
    settings.OUTGOING_URL_ALLOWLIST = []

    answer = admin_client.post(
        "/admin/notifications/webhook/add/", {"name": "x", "url": "https://10.1.2.3/", "events": ["ticket.created"]}
    )

    assert answer.status_code == 200 and "private or reserved address" in answer.content.decode()
    assert not Webhook.objects.exists()


def test_the_delivery_log_lists_webhook_rows_and_redelivers_them(admin_client, django_capture_on_commit_callbacks):
    webhook = webhook_create(name="CRM", url="https://crm.example.com/hook", events=["ticket.created"])
    dead = Notification.objects.create(
        channel=Channel.WEBHOOK, recipient=webhook.recipient, kind="ticket.created", payload={"data": {"n": 1}},
        status="dead", response_status=410, latency_ms=12, last_error="webhook answered 410",
    )  # fmt: skip
    Notification.objects.create(channel=Channel.EMAIL, recipient="x@example.org", kind="ticket.created")

    page = admin_client.get("/admin/notifications/webhookdelivery/").content.decode()
    assert "webhook answered 410" in page and "x@example.org" not in page

    with django_capture_on_commit_callbacks(execute=False):
        admin_client.post(
            "/admin/notifications/webhookdelivery/", {"action": "redeliver", "_selected_action": [dead.pk]}
        )

    again = Notification.objects.filter(channel=Channel.WEBHOOK).exclude(pk=dead.pk).get()
    assert (again.kind, again.payload, again.status) == (
        "ticket.created",
        {"data": {"n": 1}, "redelivery_of": dead.pk},
        "pending",
    )
