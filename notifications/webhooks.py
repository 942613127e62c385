"""Outgoing webhooks: an outbox channel (docs/webhooks.md).

Callers above (the automation rules, in their transaction) hand an event and its data as
plain dicts to `webhooks_enqueue`, which writes one outbox row per subscribed webhook in one
statement and dispatches them on commit; `notifications.channels.WebhookChannel` signs and
POSTs each row. Deliveries are at least once (receivers dedupe on X-Helpdesk-Delivery) and,
per `ordering_key`, in order (notifications.delivery).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from notifications import queries, subscriptions
from notifications.models import TEST_EVENT, WEBHOOK_EVENTS, Channel, Notification, Webhook, new_secret
from notifications.services import dispatch_on_commit
from notifications.signatures import sign, verify

__all__ = [
    "sign",
    "verify",
    "webhook_create",
    "webhook_ping",
    "webhook_redeliver",
    "webhook_rotate_secret",
    "webhooks_enqueue",
]


def webhooks_enqueue(*, event: str, data: dict[str, Any], ordering_key: str = "", webhook_id: int | None = None) -> int:
    """Queue `event` with `data` for every active webhook subscribed to it, or, with
    `webhook_id` (an automation rule's "call webhook" action), for that webhook alone
    whatever its events. Returns how many rows were written.

    `ordering_key` ("ticket:<id>") keeps one ticket's events in the order they were queued,
    for every webhook (notifications.delivery). Inside the caller's transaction: nothing is
    sent for a change rolled back. An event no webhook subscribes to costs no query (the
    subscriptions are kept per process: notifications.subscriptions).
    """
    if event not in WEBHOOK_EVENTS and not (event == TEST_EVENT and webhook_id is not None):
        raise ValueError(f"unknown webhook event {event!r}")
    webhook_ids = [webhook_id] if webhook_id is not None else list(subscriptions.subscribed(event))
    if not webhook_ids:
        return 0
    ids = queries.insert_webhook_rows(
        webhook_ids=webhook_ids,
        event=event,
        payload={"data": data},
        ordering_key=ordering_key,
        now=timezone.now(),
        any_event=webhook_id is not None,
    )
    dispatch_on_commit(ids)
    return len(ids)


def webhook_create(*, name: str, url: str, events: list[str], active: bool = True, secret: str = "") -> Webhook:
    """A new webhook; its secret is generated (secrets.token_hex(32)) unless given."""
    webhook = Webhook(name=name, url=url, events=list(dict.fromkeys(events)), active=active)
    webhook.secret = secret or new_secret()
    webhook.full_clean()
    webhook.save()
    return webhook


def webhook_rotate_secret(*, webhook: Webhook) -> str:
    """A new secret, in force for every send from now on (rows already queued included:
    they are signed when sent). Returns it: the one time it is shown."""
    secret = new_secret()
    webhook.secret = secret
    webhook.save(update_fields=["secret_encrypted", "updated_at"])
    return secret


@transaction.atomic
def webhook_ping(*, webhook: Webhook) -> Notification:
    """Queue a `ping` to this webhook alone, to check its URL and the receiver's signature
    check. An inactive webhook's ping is written too, and ends dead saying why."""
    row = Notification.objects.create(
        channel=Channel.WEBHOOK,
        recipient=webhook.recipient,
        kind=TEST_EVENT,
        payload={"data": {"webhook": {"id": webhook.pk, "name": webhook.name}}},
    )
    dispatch_on_commit([row.pk])
    return row


@transaction.atomic
def webhook_redeliver(*, delivery: Notification) -> Notification:
    """Queue a delivery's event and data again, as a new row (a new delivery id).

    A new row, not the old one re-queued: the old one keeps its record (attempts, last
    answer, error) for whoever is finding out what went wrong; the new one gets a full set
    of attempts; and a receiver that deduplicates on X-Helpdesk-Delivery would drop a resend
    of an id it has already seen, although a manual redelivery is asked for precisely
    because it wants the event again. It carries X-Helpdesk-Redelivery-Of (the original id)
    and no ordering key: it is sent now, out of band, not behind the ticket's pending events.
    """
    payload = {"data": delivery.payload.get("data", {}), "redelivery_of": delivery.pk}
    row = Notification.objects.create(
        channel=Channel.WEBHOOK, recipient=delivery.recipient, kind=delivery.kind, payload=payload
    )
    dispatch_on_commit([row.pk])
    return row
