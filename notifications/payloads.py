"""What a notification says, for rows whose payload holds facts rather than words.

The SLA scan writes about five rows per violation or warning (email and in-app notice to
the assignee and every supervisor, and Slack), tens of thousands in one statement. Their
payload is only {"ticket_id", "due_at"}: what happened is the row's kind
("sla.violation.first_response", "sla.at_risk.resolution"), when it was detected is the
row's created_at, and what people read (the ticket's subject, priority and customer, a
title and a link) is looked up here when a row is sent or shown. Copying those into every
row cost the scan a read of each ticket and most of its write volume.

`describe` gives every consumer one dict, whatever the row: SLA facts expanded, any other
payload (rendered emails, in-app notices with their own title, SLA rows written before
payloads became facts) as it is.

The ticket's facts come from tickets, which sits above notifications in the layers: it
registers its reader here (register_ticket_facts) from TicketsConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agents.models import Agent


class OutboxRow(Protocol):
    """What describing reads of a row (notifications.models.Notification)."""

    kind: str
    channel: str
    user_id: int | None
    payload: dict[str, Any]
    created_at: datetime | None


# ticket ids -> {id: {"subject", "priority", "customer_email"}}; filled by tickets.
TicketFactsReader = Callable[[Iterable[int]], dict[int, dict[str, Any]]]
_ticket_facts_reader: TicketFactsReader | None = None


def register_ticket_facts(reader: TicketFactsReader) -> None:
    global _ticket_facts_reader
    _ticket_facts_reader = reader


SLA_PREFIX = "sla."
# Worked out when a row is shown or sent, so in the language of whoever reads it then.
_TYPE_TITLES = {
    # Translators: the title of an SLA alert (in-app notice, email subject, Slack): target is
    # "first response" or "resolution", ticket the ticket's number; the ticket's subject follows.
    "violation": _("SLA breached: %(target)s on #%(ticket)s"),
    # Translators: as "SLA breached: …", for a target about to be missed.
    "at_risk": _("SLA at risk: %(target)s on #%(ticket)s"),
}
# Translators: as "SLA breached: …", for an SLA alert of another kind.
_OTHER_TITLE = _("SLA alert: %(target)s on #%(ticket)s")
_TARGETS = {
    "first_response": pgettext_lazy("SLA target", "first response"),
    "resolution": pgettext_lazy("SLA target", "resolution"),
}


def is_sla_facts(notification: OutboxRow) -> bool:
    """A row written by the SLA scan with a facts-only payload (no title of its own)."""
    payload = notification.payload or {}
    return notification.kind.startswith(SLA_PREFIX) and "ticket_id" in payload and "title" not in payload


def _ticket_facts(ticket_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    # Without a reader (no tickets app) the texts say "?" for what they cannot look up.
    return _ticket_facts_reader(ticket_ids) if _ticket_facts_reader is not None else {}


def _expand(notification: OutboxRow, ticket: dict[str, Any] | None) -> dict[str, Any]:
    _sla, type_, target = [*notification.kind.split("."), "", ""][:3]
    ticket_id = notification.payload["ticket_id"]
    ticket = ticket or {}
    title = str(_TYPE_TITLES.get(type_, _OTHER_TITLE)) % {"target": _TARGETS.get(target, target), "ticket": ticket_id}
    if ticket.get("subject"):
        title += f" {ticket['subject']}"
    return {
        "type": type_,
        "kind": target,
        "subject": ticket.get("subject", ""),
        "priority": ticket.get("priority", "?"),
        "customer_email": ticket.get("customer_email", "?"),
        "detected_at": notification.created_at.isoformat() if notification.created_at else "",
        **notification.payload,
        "title": title,
        "url": settings.SITE_URL + reverse("agent:ticket", args=[ticket_id]),
    }


def describe(notification: OutboxRow) -> dict[str, Any]:
    """The row's payload, with SLA facts expanded (one ticket read)."""
    if not is_sla_facts(notification):
        return notification.payload
    ticket_id = notification.payload["ticket_id"]
    return _expand(notification, _ticket_facts([ticket_id]).get(ticket_id))


def reader_language(notification: OutboxRow) -> str:
    """The language of an email rendered at delivery (SLA facts): its agent's
    (Agent.language), else the site's."""
    language = None
    if notification.user_id is not None:
        language = Agent.objects.filter(user_id=notification.user_id).values_list("language", flat=True).first()
    return language or settings.LANGUAGE_CODE


def describe_all(notifications: Sequence[Any]) -> Sequence[Any]:
    """Work out `details` for a page of rows with one ticket read, and the readers' languages
    of the emails among them with one agent read; returns the rows."""
    facts = [n for n in notifications if is_sla_facts(n)]
    tickets = _ticket_facts(n.payload["ticket_id"] for n in facts) if facts else {}
    for notification in notifications:
        if is_sla_facts(notification):
            details = _expand(notification, tickets.get(notification.payload["ticket_id"]))
        else:
            details = notification.payload
        notification.__dict__["details"] = details
    emails = [n for n in facts if n.channel == "email" and n.user_id is not None]
    if emails:
        languages = dict(
            Agent.objects.filter(user_id__in={n.user_id for n in emails}).values_list("user_id", "language")
        )
        for notification in emails:
            notification.__dict__["reader_language"] = languages.get(notification.user_id) or settings.LANGUAGE_CODE
    return notifications
