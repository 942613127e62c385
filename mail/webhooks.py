"""Mail providers' inbound webhooks, through django-anymail.

anymail's views (mail/webhook_urls.py: /mail/<provider>/inbound/) check each provider's
signature or the basic-auth secret (ANYMAIL_WEBHOOK_SECRET), turn the provider's payload into
an email and send the `inbound` signal, received here: the email goes through the same
ingest as every other route. A provider retrying a webhook delivers the same email again,
which the ledger stores once. An exception here (the database is down) answers 5xx, and the
provider retries later.
"""

from __future__ import annotations

from typing import Any

from anymail.signals import inbound

from mail.ingest import ingest
from mail.models import Route


def receive(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    ingest(event.message.as_bytes(), route=Route.WEBHOOK)


inbound.connect(receive, dispatch_uid="mail.webhooks.receive")
