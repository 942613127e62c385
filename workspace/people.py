"""The ticket page's people besides the customer: addresses copied on it (CCs) and the
agents who follow it. A sidebar section (tickets/agent/_people.html) and its three forms."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agents.decorators import agent_required
from agents.models import Agent
from agents.roles import actor_for, agent_for
from tickets import selectors
from tickets.ccs import CCRefused, ticket_cc_add, ticket_cc_remove, ticket_ccs
from tickets.following import agents_named, followers_of, mentioned_names, ticket_follow, ticket_unfollow
from tickets.forms import split_addresses
from tickets.models import Message, Ticket, TicketCC


def people_context(ticket: Ticket, agent: Agent | None, conversation: list[Message]) -> dict:
    """The section's facts, and the names of agents the page's notes @mention (for
    highlighting them: one query for the whole page)."""
    followers = followers_of(ticket)
    names = {name for message in conversation if message.internal for name in mentioned_names(message.body)}
    known = {found.user.get_username().lower() for found in agents_named(names)} if names else set()
    return {
        "ccs": ticket_ccs(ticket),
        "followers": followers,
        "following": agent is not None and any(follower.pk == agent.pk for follower in followers),
        "mention_names": known,
    }


@require_POST
@agent_required
def ticket_cc_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk, prefetch=False)
    addresses = split_addresses(request.POST.get("cc", "")[:2000])
    if not addresses:
        messages.error(request, _("cc: enter one or more email addresses."))
    else:
        try:
            added = ticket_cc_add(ticket=ticket, emails=addresses, actor=actor_for(request.user))
        except CCRefused as refused:
            messages.error(request, f"cc: {refused}")
        else:
            if added:
                messages.success(
                    request,
                    _("Copied: %(addresses)s. Each was emailed a private link.")
                    % {"addresses": ", ".join(cc.email for cc in added)},
                )
            else:
                messages.success(request, _("Those addresses are copied already."))
    return redirect("agent:ticket", pk=ticket.pk)


@require_POST
@agent_required
def ticket_cc_remove_view(request: HttpRequest, pk: int, cc_id: int) -> HttpResponse:
    ticket = selectors.get_ticket_for_user(request.user, pk, prefetch=False)
    cc = TicketCC.objects.filter(ticket=ticket, pk=cc_id).first()
    if cc is not None:
        ticket_cc_remove(ticket=ticket, cc=cc, actor=actor_for(request.user))
        messages.success(
            request, _("%(address)s is no longer copied; its private link no longer opens.") % {"address": cc.email}
        )
    return redirect("agent:ticket", pk=ticket.pk)


@require_POST
@agent_required
def ticket_follow_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow (or, with `unfollow`, stop following) the ticket."""
    ticket = selectors.get_ticket_for_user(request.user, pk, prefetch=False)
    agent = agent_for(request.user)
    if agent is None:
        messages.error(request, _("Only agents with a profile can follow tickets."))
    elif request.POST.get("unfollow"):
        ticket_unfollow(ticket=ticket, agent=agent)
        messages.success(request, _("You no longer follow this ticket."))
    else:
        ticket_follow(ticket=ticket, agent=agent)
        messages.success(request, _("You follow this ticket: its changes appear in your notifications."))
    return redirect("agent:ticket", pk=ticket.pk)
