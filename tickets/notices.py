"""The emails and in-app notices a ticket's changes send, queued in the outbox
(notifications) inside the change's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from agents.models import Agent
from agents.roles import Actor
from notifications.models import Channel
from notifications.services import email_enqueue, notification_enqueue
from tickets.links import cc_url, private_url
from tickets.models import Message, Ticket, TicketCC
from tickets.threading import ticket_email
from tickets.visibility import agent_may_see


def agent_ticket_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("agent:ticket", args=[ticket.pk])


def notify_customer_of_creation(ticket: Ticket, *, thread: list[str]) -> None:
    """The acknowledgement: automatic, so it says so (Auto-Submitted). `thread`: the new
    ticket's Message-IDs (the customer's email, when it came by email)."""
    ticket_email(
        ticket=ticket,
        to=ticket.customer_email,
        kind="ticket.created",
        template="tickets/email/ticket_created",
        context={"ticket": ticket, "link": private_url(ticket)},
        automatic=True,
        thread=thread,
    )


def notify_customer_of_new_link(ticket: Ticket) -> None:
    """The private link was replaced: the customer gets the new one (the old one is dead)."""
    ticket_email(
        ticket=ticket,
        to=ticket.customer_email,
        kind="ticket.link_rotated",
        template="tickets/email/link_rotated",
        context={"ticket": ticket, "link": private_url(ticket)},
        automatic=True,
    )


def notify_customer_of_reply(ticket: Ticket, message: Message) -> None:
    """An agent's reply: only the new message, above the marker a customer answers over."""
    ticket_email(
        ticket=ticket,
        to=ticket.customer_email,
        kind="ticket.agent_reply",
        template="tickets/email/agent_reply",
        context={"ticket": ticket, "message": message, "link": private_url(ticket)},
        automatic=False,
        message=message,
    )
    notify_ccs_of_reply(ticket, message)


def notify_ccs_of_reply(ticket: Ticket, message: Message) -> None:
    """The agent's reply to every address copied on the ticket: one email each, threaded like
    the customer's, with the CC's own private link."""
    for cc in TicketCC.objects.filter(ticket_id=ticket.pk).order_by("id"):
        ticket_email(
            ticket=ticket,
            to=cc.email,
            kind="ticket.cc_reply",
            template="tickets/email/cc_reply",
            context={"ticket": ticket, "message": message, "link": cc_url(cc)},
            automatic=False,
            message=message,
        )


def notify_cc_of_addition(ticket: Ticket, cc: TicketCC, *, actor: Actor) -> None:
    """An address was copied on the ticket: it is told so, with its private link."""
    ticket_email(
        ticket=ticket,
        to=cc.email,
        kind="ticket.cc_added",
        template="tickets/email/cc_added",
        context={"ticket": ticket, "link": cc_url(cc), "actor": actor},
        automatic=True,
    )


def _notify_agent(*, agent: Agent, kind: str, template: str, context: dict[str, Any], title: Callable[[], str]) -> None:
    """The agent's email and in-app notice, both in the agent's language (`title` is worded
    with it active); nothing to an agent who may not see the ticket (a restricted team's)."""
    if not agent_may_see(agent, context["ticket"].team_id):
        return
    context = {"agent": agent, "link": agent_ticket_url(context["ticket"]), **context}
    language = agent.reading_language
    email_enqueue(to=agent.email, kind=kind, template=template, context=context, user=agent.user, language=language)
    with translation.override(language):
        title = title()
    notification_enqueue(
        channel=Channel.DASHBOARD,
        recipient=agent.user.get_username(),
        user=agent.user,
        kind=kind,
        payload={"title": title, "ticket_id": context["ticket"].pk, "url": context["link"]},
    )


def notify_assignment(*, ticket: Ticket, agent: Agent, actor: Actor) -> None:
    _notify_agent(
        agent=agent,
        kind="ticket.assigned",
        template="tickets/email/ticket_assigned",
        context={"ticket": ticket, "actor": actor},
        # Translators: an in-app notice to an agent; "number" is the ticket's number ("#42").
        title=lambda: (
            _("Ticket %(number)s was assigned to you: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject}
        ),
    )


def notify_agent_of_customer_reply(ticket: Ticket, message: Message) -> None:
    if ticket.assigned_agent is None:
        return
    _notify_agent(
        agent=ticket.assigned_agent,
        kind="ticket.customer_reply",
        template="tickets/email/customer_reply",
        context={"ticket": ticket, "message": message},
        # Translators: an in-app notice to the ticket's agent; "number" is the ticket's number ("#42").
        title=lambda: (
            _("The customer replied on %(number)s: %(subject)s") % {"number": ticket.number, "subject": ticket.subject}
        ),
    )


def ticket_facts(ticket_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """What an SLA alert says of its tickets (notifications.payloads, registered by
    TicketsConfig.ready()): one read for a page of rows."""
    rows = Ticket.objects.filter(pk__in=set(ticket_ids)).values("pk", "subject", "priority", "customer_email")
    return {row.pop("pk"): row for row in rows}
