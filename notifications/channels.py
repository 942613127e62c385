"""Delivery channels: small adapters behind one interface.

A channel either returns (delivered) or raises DeliveryError saying whether another attempt
could succeed: a refused recipient will be refused again, a closed connection may not.
"""

from __future__ import annotations

import smtplib
from typing import Protocol

from django.core.mail import EmailMultiAlternatives

from notifications.models import Channel, Notification


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class DeliveryChannel(Protocol):
    def send(self, notification: Notification) -> None: ...


class EmailChannel:
    """Payload: {"subject", "text", "html" (optional)}; recipient: the address."""

    def send(self, notification: Notification) -> None:
        payload = notification.payload
        message = EmailMultiAlternatives(
            subject=payload["subject"], body=payload["text"], to=[notification.recipient]
        )
        if payload.get("html"):
            message.attach_alternative(payload["html"], "text/html")
        try:
            message.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            raise DeliveryError(f"refused: {error}", retryable=False) from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}", retryable=True) from error


class DashboardChannel:
    """In-app notices are read from the table itself: writing the row was the delivery."""

    def send(self, notification: Notification) -> None:
        return None


CHANNELS: dict[str, DeliveryChannel] = {
    Channel.EMAIL: EmailChannel(),
    Channel.DASHBOARD: DashboardChannel(),
}


def channel_for(notification: Notification) -> DeliveryChannel:
    try:
        return CHANNELS[notification.channel]
    except KeyError:
        raise DeliveryError(f"no adapter for channel {notification.channel!r}", retryable=False) from None
