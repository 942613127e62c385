"""/api/support/webhooks: admins manage webhooks, read their deliveries and send them again.
Who may call each route is the permission matrix's (helpdesk/tests/test_permission_matrix.py);
here, what the routes do and how they refuse bad input."""

from __future__ import annotations

import re

import pytest

from conftest import api_client_for
from core import outbound
from notifications.models import Channel, Notification, Webhook
from notifications.signatures import verify
from notifications.tests.receivers import Receiver
from notifications.webhooks import webhook_create, webhooks_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(admin_user):
    return api_client_for(admin_user)


@pytest.fixture
def receiver():
    outbound.close_all()
    server = Receiver()
    yield server
    outbound.close_all()
    server.close()


@pytest.fixture
def hook(receiver):
    return webhook_create(name="CRM", url=receiver.url, events=["ticket.created"], secret="a" * 64)


CRM = {"name": "CRM", "url": "https://crm.example.com/hooks/helpdesk", "events": ["ticket.created", "sla.violation"]}


def test_it_creates_a_webhook_and_shows_its_secret_this_once(admin_api):
    answer = admin_api.post("/api/support/webhooks", CRM, format="json")

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert re.fullmatch(r"[0-9a-f]{64}", body["secret"])
    webhook = Webhook.objects.get(pk=body["id"])
    assert webhook.secret == body["secret"]
    assert body["secret"] not in webhook.secret_encrypted  # encrypted at rest
    assert (webhook.events, webhook.active) == (["ticket.created", "sla.violation"], True)
    assert "secret" not in admin_api.get(f"/api/support/webhooks/{webhook.pk}").json()
    assert "secret" not in admin_api.get("/api/support/webhooks").json()["results"][0]


def test_a_secret_given_is_kept_and_can_be_changed_but_never_read(admin_api):
    body = admin_api.post("/api/support/webhooks", {**CRM, "secret": "s" * 32}, format="json").json()
    assert body["secret"] == "s" * 32

    answer = admin_api.patch(f"/api/support/webhooks/{body['id']}", {"secret": "t" * 32}, format="json")

    assert answer.status_code == 200 and "secret" not in answer.json()
    assert Webhook.objects.get(pk=body["id"]).secret == "t" * 32


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"url": "http://crm.example.com/hook"}, "url", "only https URLs can be called"),
        ({"url": "https://10.0.0.1/hook"}, "url", "10.0.0.1 is a private or reserved address"),
        ({"url": "https://169.254.169.254/"}, "url", "cloud metadata address"),
        ({"url": "not a url"}, "url", "Enter a valid URL."),
        ({"events": ["ticket.created", "ticket.deleted"]}, "events", 'unknown event "ticket.deleted"'),
        ({"events": "ticket.created"}, "events", "Expected a list"),
        ({"name": ""}, "name", "may not be blank"),
        ({"secret": "short"}, "secret", "at least 16 characters"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_the_rule(admin_api, settings, change, field, words):
    settings.OUTGOING_URL_ALLOWLIST = []

    answer = admin_api.post("/api/support/webhooks", {**CRM, **change}, format="json")

    assert answer.status_code == 400
    assert words in " ".join(answer.json()[field])
    assert not Webhook.objects.exists()


def test_a_changed_url_is_checked_too(admin_api, hook, settings):
    settings.OUTGOING_URL_ALLOWLIST = []

    answer = admin_api.patch(f"/api/support/webhooks/{hook.pk}", {"url": "https://192.168.1.10/"}, format="json")

    assert answer.status_code == 400 and "private or reserved" in answer.json()["url"][0]


def test_only_admins_manage_webhooks(supervisor_api, integration_api, agent_api, hook):
    for client in (supervisor_api, integration_api, agent_api):
        assert client.get("/api/support/webhooks").status_code == 403
        assert client.post("/api/support/webhooks", CRM, format="json").status_code == 403
        assert client.post(f"/api/support/webhooks/{hook.pk}/rotate-secret").status_code == 403
    assert Webhook.objects.count() == 1


def test_rotating_the_secret_signs_every_later_send_with_the_new_one(
    admin_api, hook, receiver, django_capture_on_commit_callbacks
):
    answer = admin_api.post(f"/api/support/webhooks/{hook.pk}/rotate-secret")

    assert answer.status_code == 200
    secret = answer.json()["secret"]
    assert re.fullmatch(r"[0-9a-f]{64}", secret) and secret != "a" * 64
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/support/webhooks/{hook.pk}/test")
    [ping] = receiver.received
    assert verify(secret, ping.signature, ping.body)
    assert not verify("a" * 64, ping.signature, ping.body)


def test_the_test_route_sends_a_ping(admin_api, hook, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_api.post(f"/api/support/webhooks/{hook.pk}/test")

    assert answer.status_code == 202
    [ping] = receiver.received
    assert (ping.event, ping.json["event"], ping.json["data"]) == (
        "ping",
        "ping",
        {"webhook": {"id": hook.pk, "name": "CRM"}},
    )
    assert ping.delivery == str(answer.json()["id"])
    assert Notification.objects.get(pk=answer.json()["id"]).status == "sent"


def test_deliveries_are_listed_newest_first_and_filtered_by_status(admin_api, hook, receiver, other_webhook_row):
    receiver.responses = [(500, {}, 0.0)]
    for n in range(3):
        webhooks_enqueue(event="ticket.created", data={"n": n})
    rows = list(Notification.objects.filter(recipient=hook.recipient).order_by("pk"))
    from notifications.delivery import notifications_deliver

    notifications_deliver(notification_ids=[r.pk for r in rows])

    body = admin_api.get(f"/api/support/webhooks/{hook.pk}/deliveries").json()

    assert [d["id"] for d in body["results"]] == [r.pk for r in reversed(rows)]
    assert body["count"] == 3
    first = body["results"][-1]
    assert set(first) == {
        "id", "event", "status", "attempts", "response_status", "latency_ms", "last_error", "created_at", "sent_at",
        "next_attempt_at",
    }  # fmt: skip
    assert (first["event"], first["status"], first["response_status"], first["last_error"]) == (
        "ticket.created",
        "failed",
        500,
        "webhook answered 500",
    )
    failed = admin_api.get(f"/api/support/webhooks/{hook.pk}/deliveries", {"status": "failed"}).json()
    assert [d["id"] for d in failed["results"]] == [rows[0].pk]
    paged = admin_api.get(f"/api/support/webhooks/{hook.pk}/deliveries", {"page_size": 2}).json()
    assert len(paged["results"]) == 2 and paged["next"]
    assert admin_api.get(f"/api/support/webhooks/{hook.pk}/deliveries", {"status": "lost"}).status_code == 400


@pytest.fixture
def other_webhook_row(receiver):
    other = webhook_create(name="Other", url=receiver.url, events=[])
    return Notification.objects.create(channel=Channel.WEBHOOK, recipient=other.recipient, kind="ticket.created")


def test_a_redelivery_is_a_new_delivery_of_the_same_event_and_data(
    admin_api, hook, receiver, django_capture_on_commit_callbacks
):
    receiver.default = (410, {}, 0.0)
    webhooks_enqueue(event="ticket.created", data={"ticket": {"id": 3}})
    original = Notification.objects.get(recipient=hook.recipient)
    from notifications.delivery import notification_deliver

    assert notification_deliver(notification_id=original.pk) == "dead"
    receiver.default = (200, {}, 0.0)

    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_api.post(f"/api/support/webhooks/{hook.pk}/deliveries/{original.pk}/redeliver")

    assert answer.status_code == 202
    again = Notification.objects.get(pk=answer.json()["id"])
    assert again.pk != original.pk
    assert (again.kind, again.payload["data"], again.status) == ("ticket.created", {"ticket": {"id": 3}}, "sent")
    assert Notification.objects.get(pk=original.pk).status == "dead"  # its record kept as it was
    resent = receiver.received[-1]
    assert (resent.delivery, resent.headers["X-Helpdesk-Redelivery-Of"]) == (str(again.pk), str(original.pk))
    assert resent.json["data"] == {"ticket": {"id": 3}}


def test_a_delivery_of_another_webhook_or_none_is_not_found(admin_api, hook, other_webhook_row):
    for delivery in (other_webhook_row.pk, 10**9):
        answer = admin_api.post(f"/api/support/webhooks/{hook.pk}/deliveries/{delivery}/redeliver")
        assert answer.status_code == 404
    assert admin_api.get("/api/support/webhooks/999999/deliveries").status_code == 404
    assert Notification.objects.count() == 1


def test_deleting_a_webhook_stops_its_queued_rows(admin_api, hook, receiver):
    webhooks_enqueue(event="ticket.created", data={})
    row = Notification.objects.get(recipient=hook.recipient)

    assert admin_api.delete(f"/api/support/webhooks/{hook.pk}").status_code == 204
    from notifications.delivery import notification_deliver

    assert notification_deliver(notification_id=row.pk) == "dead"
    assert receiver.received == []
