"""Delivery channels: small adapters behind one interface.

A channel either returns (delivered) or raises DeliveryError saying whether another attempt
could succeed: a refused recipient will be refused again, a closed connection may not.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from core import outbound
from notifications import subscriptions
from notifications.models import Channel, Notification
from notifications.signatures import sign


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class DeliveryChannel(Protocol):
    def send(self, notification: Notification) -> None: ...


# Rows whose payload holds facts rather than a rendered email (those written in SQL by the
# SLA scan) are rendered at delivery with the template of their kind's prefix.
EMAIL_TEMPLATES = {"sla.violation": "sla/email/violation", "sla.at_risk": "sla/email/at_risk"}


def render_email(notification: Notification) -> dict[str, str]:
    payload = notification.details  # SLA facts expanded with the ticket's subject, link...
    if "text" in payload:
        return payload
    prefix = notification.kind.rsplit(".", 1)[0]
    template = EMAIL_TEMPLATES.get(prefix)
    if template is None:
        raise DeliveryError(f"no email template for {notification.kind}", retryable=False)
    context: dict[str, Any] = {"helpdesk_name": settings.HELPDESK_NAME, **payload}
    with translation.override(notification.reader_language):
        return {
            "subject": " ".join(render_to_string(f"{template}-subject.txt", context).split()),
            "text": render_to_string(f"{template}-body.txt", context),
            "html": render_to_string(f"{template}-body.html", context),
        }


# Headers an email row may carry (tickets.threading writes them); nothing else is copied.
THREAD_HEADERS = frozenset(
    {"Message-ID", "In-Reply-To", "References", "Reply-To", "Auto-Submitted", "X-Auto-Response-Suppress"}
)


class EmailChannel:
    """Payload: {"subject", "text", "html"}, or SLA facts rendered here; recipient: the address."""

    def send(self, notification: Notification) -> None:
        content = render_email(notification)
        headers = {name: value for name, value in (content.get("headers") or {}).items() if name in THREAD_HEADERS}
        message = EmailMultiAlternatives(
            subject=content["subject"],
            body=content["text"],
            to=[notification.recipient],
            # Names the outbox row: a receiver (or the soak test) can tell a retried send of
            # one row from two rows.
            headers={**headers, "X-Helpdesk-Notification": str(notification.pk)},
        )
        if content.get("html"):
            message.attach_alternative(content["html"], "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(f"refused: {error}", retryable=all(_transient(code) for code in codes)) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise DeliveryError(f"refused: {error}", retryable=_transient(error.smtp_code)) from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}", retryable=True) from error


def _transient(smtp_code: int) -> bool:
    """4xx means "not now" (greylisting, a full mailbox or queue): worth another attempt; 5xx is final."""
    return 400 <= smtp_code < 500


# "<prefix>:<key>" -> the webhook URL it names ("" for none). An app whose rows name their
# own webhooks registers its prefix from its AppConfig.ready(): sla, "policy" (a policy's URL).
_slack_webhook_lookups: dict[str, Callable[[str], str]] = {}


def register_slack_webhooks(prefix: str, lookup: Callable[[str], str]) -> None:
    _slack_webhook_lookups[prefix] = lookup


def slack_webhook_for(recipient: str) -> str:
    """The webhook URL named by a row: "default" (SLACK_WEBHOOK_URL) or "<prefix>:<key>"
    of a registered lookup (sla: "policy:<id>").

    Rows name the webhook rather than copy it, so the secret URL lives in one place.
    """
    if recipient == "default":
        return settings.SLACK_WEBHOOK_URL
    prefix, _, key = recipient.partition(":")
    lookup = _slack_webhook_lookups.get(prefix)
    return lookup(key) if lookup is not None and key else ""


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The alert in the language active when it is sent (a worker's: the site's, LANGUAGE_CODE)."""
    due = str(payload.get("due_at", ""))[:16].replace("T", " ")
    late = payload.get("type") == "violation"
    # Translators: a Slack alert's line under its title; due is a UTC date and time (2025-03-05 14:00).
    facts = _("Priority %(priority)s · due %(due)s UTC · customer %(email)s") % {
        "priority": payload.get("priority", "?"),
        "due": due,
        "email": payload.get("customer_email", "?"),
    }
    title = payload["title"] if "title" in payload else _("SLA alert")
    link = _("Open ticket #%(ticket)s") % {"ticket": payload.get("ticket_id")}
    text = f"{'🔴' if late else '🟠'} *{title}*\n{facts}\n<{payload.get('url', '')}|{link}>"
    return {"text": text}


class SlackChannel:
    """Slack incoming webhooks: JSON POST; 2xx delivered, 429 and 5xx retried, other 4xx dead."""

    def send(self, notification: Notification) -> None:
        url = slack_webhook_for(notification.recipient)
        if not url:
            raise DeliveryError(f"no Slack webhook configured for {notification.recipient}", retryable=False)
        # A channel is read by many: the site's language (LANGUAGE_CODE), whoever triggered it.
        with translation.override(settings.LANGUAGE_CODE):
            body = json.dumps(slack_message(notification.details)).encode()
        answer = _post(
            notification, url, body, {"Content-Type": "application/json"}, settings.SLACK_TIMEOUT_SECONDS, "Slack"
        )
        if 200 <= answer.status < 300:
            return
        if answer.status == 429:
            retry_after = _seconds(answer.headers.get("Retry-After"))
            raise DeliveryError("Slack rate limit (429)", retryable=True, retry_after=retry_after)
        # 3xx included: a webhook that redirects is misconfigured, and a POST is not replayed.
        raise DeliveryError(f"Slack answered {answer.status}", retryable=answer.status >= 500 or answer.status == 408)


def _post(
    notification: Notification, url: str, body: bytes, headers: dict[str, str], timeout: float, receiver: str
) -> outbound.Answer:
    """POST through the guarded client (core.outbound: public addresses only, one kept-alive
    connection per host in this process), recording the answer's status and how long it
    took on the row (written with the attempt's outcome: notifications.delivery)."""
    started = time.monotonic()
    try:
        answer = outbound.post(url, body, headers=headers, timeout=timeout)
    except outbound.Refused as error:
        # Said as the policy's rule, never as what an internal address answered.
        raise DeliveryError(f"refused by policy: {error}", retryable=False) from None
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        notification.latency_ms = round((time.monotonic() - started) * 1000)
        raise DeliveryError(f"{receiver} unreachable: {error}", retryable=True) from error
    notification.latency_ms = round((time.monotonic() - started) * 1000)
    notification.response_status = answer.status
    return answer


class WebhookChannel:
    """Integrators' webhooks (docs/webhooks.md): signed JSON POST; 2xx delivered; 408, 429,
    5xx, timeouts and unreachable receivers retried (429 after its Retry-After); other 4xx,
    3xx, a URL the policy refuses, and a deleted or inactive webhook dead.

    Row: recipient "webhook:<id>", kind the event, payload {"data": {...}}. The body names
    the row (`id`, and the X-Helpdesk-Delivery header): a retried send is the same delivery,
    which receivers dedupe on. Signed when sent, with the secret of that moment.
    """

    def send(self, notification: Notification) -> None:
        prefix, _sep, key = notification.recipient.partition(":")
        webhook = subscriptions.target(int(key)) if prefix == "webhook" and key.isdigit() else None
        if webhook is None:
            raise DeliveryError(f"webhook {notification.recipient} no longer exists", retryable=False)
        if not webhook.active:
            raise DeliveryError(f"webhook {notification.recipient} is inactive", retryable=False)
        body = webhook_body(notification)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Helpdesk-Webhooks/1",
            "X-Helpdesk-Event": notification.kind,
            "X-Helpdesk-Delivery": str(notification.pk),
            "X-Helpdesk-Signature": sign(webhook.secret, timestamp, body),
        }
        if notification.payload.get("redelivery_of"):
            headers["X-Helpdesk-Redelivery-Of"] = str(notification.payload["redelivery_of"])
        answer = _post(notification, webhook.url, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS, "webhook")
        if 200 <= answer.status < 300:
            return
        if answer.status == 429:
            retry_after = _seconds(answer.headers.get("Retry-After"))
            raise DeliveryError("webhook rate limit (429)", retryable=True, retry_after=retry_after)
        # 3xx included: a receiver that redirects is misconfigured, and a POST is not replayed.
        raise DeliveryError(f"webhook answered {answer.status}", retryable=answer.status >= 500 or answer.status == 408)


def webhook_body(notification: Notification) -> bytes:
    """The JSON a webhook row is POSTed as (docs/webhooks.md, "Payload")."""
    return json.dumps(
        {
            "id": str(notification.pk),
            "event": notification.kind,
            "created_at": notification.created_at.isoformat(),
            "data": notification.payload.get("data", {}),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class DashboardChannel:
    """In-app notices are read from the table itself: writing the row was the delivery."""

    def send(self, notification: Notification) -> None:
        return None


CHANNELS: dict[str, DeliveryChannel] = {
    Channel.EMAIL: EmailChannel(),
    Channel.SLACK: SlackChannel(),
    Channel.DASHBOARD: DashboardChannel(),
    Channel.WEBHOOK: WebhookChannel(),
}


def channel_for(notification: Notification) -> DeliveryChannel:
    try:
        return CHANNELS[notification.channel]
    except KeyError:
        raise DeliveryError(f"no adapter for channel {notification.channel!r}", retryable=False) from None
