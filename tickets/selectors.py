"""Reads shared by the API and the pages, with their joins, and the one access check."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from agents.roles import is_agent, is_integration
from tickets.models import Attachment, Message, Ticket, TicketEvent


def can_read_internal_notes(user) -> bool:
    return is_agent(user)


def visible_messages(user) -> QuerySet[Message]:
    messages = Message.objects.select_related("author_agent").prefetch_related("attachments")
    if not can_read_internal_notes(user):
        messages = messages.filter(internal=False)
    return messages


def tickets_for_user(user) -> QuerySet[Ticket]:
    """Tickets `user` may work: all of them for agents and integrations, none otherwise."""
    if not (is_agent(user) or is_integration(user)):
        return Ticket.objects.none()
    return Ticket.objects.select_related("category", "assigned_agent").prefetch_related(
        "tags", Prefetch("attachments", queryset=Attachment.objects.filter(message__isnull=True))
    )


def ticket_detail_for_user(user) -> QuerySet[Ticket]:
    return tickets_for_user(user).prefetch_related(Prefetch("messages", queryset=visible_messages(user)))


def get_ticket_for_user(user, pk: int | str) -> Ticket:
    try:
        return tickets_for_user(user).get(pk=int(pk))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ticket.") from None


def ticket_history(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.all()
