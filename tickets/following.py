"""Agents following a ticket, and @mentions in internal notes.

A follower is told of the ticket's changes (status, priority, assignee, team, a customer's
message, an agent's reply, an internal note) in-app, and by email too when their profile
says so (Agent.follow_by_email); never of their own change, and never about a ticket they
may no longer see (tickets.selectors.may_see). Following is not assignment: the assignee is
not made a follower, and is told what concerns them by tickets.notices.

`@username` in an internal note (Django's User.username, any case; at most MENTIONS_MAX per
note; unknown names are ignored) tells that agent the same way, if they may see the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable

from django.db.models.functions import Lower
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from agents.models import Agent
from agents.roles import Actor
from notifications.models import Channel
from notifications.services import email_enqueue, notification_enqueue
from tickets.models import STATUS_WORDS, Message, Priority, Ticket
from tickets.notices import agent_ticket_url
from tickets.selectors import may_see
from tickets.visibility import agents_who_may_see

# --- Following ------------------------------------------------------------------------


def ticket_follow(*, ticket: Ticket, agent: Agent) -> bool:
    """Follow the ticket; False if the agent follows it already."""
    if ticket.followers.filter(pk=agent.pk).exists():
        return False
    ticket.followers.add(agent)
    return True


def ticket_unfollow(*, ticket: Ticket, agent: Agent) -> bool:
    """Stop following; False if the agent did not follow it."""
    if not ticket.followers.filter(pk=agent.pk).exists():
        return False
    ticket.followers.remove(agent)
    return True


def followers_of(ticket: Ticket) -> list[Agent]:
    return list(ticket.followers.select_related("user").order_by("name", "id"))


def _who(actor: Actor) -> str:
    return actor.name or _("Someone")


def _assignee(ticket: Ticket) -> str:
    agent = ticket.assigned_agent
    return agent.name if agent is not None else ""


# What followers are told, one sentence per kind of change, worded in each follower's
# language when called (ticket, actor, message).
CHANGES: dict[str, Callable[[Ticket, Actor, Message | None], str]] = {
    # Translators: an in-app notice to an agent who follows a ticket; "number" is the ticket's number ("#42").
    "status": lambda ticket, actor, message: (
        _("%(actor)s changed the status of %(number)s to %(status)s.")
        % {"actor": _who(actor), "number": ticket.number, "status": STATUS_WORDS.get(ticket.status, ticket.status)}
    ),
    "priority": lambda ticket, actor, message: (
        _("%(actor)s changed the priority of %(number)s to %(priority)s.")
        % {
            "actor": _who(actor),
            "number": ticket.number,
            "priority": str(Priority(ticket.priority).label).lower() if ticket.priority in Priority.values else "",
        }
    ),
    "assignee": lambda ticket, actor, message: (
        _("%(actor)s assigned %(number)s to %(agent)s.")
        % {"actor": _who(actor), "number": ticket.number, "agent": _assignee(ticket)}
        if ticket.assigned_agent_id
        else _("%(actor)s unassigned %(number)s.") % {"actor": _who(actor), "number": ticket.number}
    ),
    "team": lambda ticket, actor, message: (
        _("%(actor)s moved %(number)s to the team %(team)s.")
        % {"actor": _who(actor), "number": ticket.number, "team": ticket.team.name}
        if ticket.team_id
        else _("%(actor)s took %(number)s out of its team.") % {"actor": _who(actor), "number": ticket.number}
    ),
    "customer": lambda ticket, actor, message: (
        _("%(actor)s moved %(number)s to the customer %(customer)s.")
        % {"actor": _who(actor), "number": ticket.number, "customer": ticket.customer_email}
    ),
    "customer_reply": lambda ticket, actor, message: (
        _("%(author)s wrote on %(number)s.")
        % {"author": message.author_name if message else _who(actor), "number": ticket.number}
    ),
    "reply": lambda ticket, actor, message: (
        _("%(actor)s replied to the customer on %(number)s.") % {"actor": _who(actor), "number": ticket.number}
    ),
    "note": lambda ticket, actor, message: (
        _("%(actor)s added an internal note on %(number)s.") % {"actor": _who(actor), "number": ticket.number}
    ),
    "mention": lambda ticket, actor, message: (
        _("%(actor)s mentioned you in an internal note on %(number)s.")
        % {"actor": _who(actor), "number": ticket.number}
    ),
}

EXCERPT_MAX = 500


def _tell(*, agent: Agent, ticket: Ticket, actor: Actor, change: str, message: Message | None) -> None:
    """One agent's in-app notice, and email if they asked for it, in their language."""
    language = agent.reading_language
    link = agent_ticket_url(ticket)
    with translation.override(language):
        title = CHANGES[change](ticket, actor, message)
    kind = "ticket.mention" if change == "mention" else f"ticket.follow.{change}"
    notification_enqueue(
        channel=Channel.DASHBOARD,
        recipient=agent.user.get_username(),
        user=agent.user,
        kind=kind,
        payload={"title": title, "ticket_id": ticket.pk, "url": link},
    )
    if agent.follow_by_email:
        excerpt = message.body[:EXCERPT_MAX] if message is not None else ""
        email_enqueue(
            to=agent.email,
            kind=kind,
            template="tickets/email/followed_change",
            context={
                "ticket": ticket,
                "agent": agent,
                "change": title,
                "excerpt": excerpt,
                "link": link,
                "mention": change == "mention",
            },
            user=agent.user,
            language=language,
        )


def _may_see(agent: Agent, ticket: Ticket) -> bool:
    agent.user._helpdesk_agent = agent  # agents.roles.agent_for: known already, no query
    return agent.user.is_active and may_see(agent.user, ticket)


def notify_followers(
    *,
    ticket: Ticket,
    actor: Actor,
    change: str,
    message: Message | None = None,
    exclude: Collection[int] = (),
) -> list[Agent]:
    """Tell the ticket's followers of `change` (a key of CHANGES), except the actor, the
    agents in `exclude` (told otherwise: the assignee of a customer's reply, the mentioned
    of a note) and those who may not see it. Call it in the change's transaction, after the
    change. Returns the agents told."""
    followers = ticket.followers.select_related("user").filter(user__is_active=True)
    if actor.agent is not None:
        followers = followers.exclude(pk=actor.agent.pk)
    if exclude:
        followers = followers.exclude(pk__in=list(exclude))
    # Who may see it, in the same query (the rule of tickets.visibility): not one per follower.
    told = list(agents_who_may_see(followers, ticket.team_id))
    for agent in told:
        _tell(agent=agent, ticket=ticket, actor=actor, change=change, message=message)
    return told


# --- Mentions -------------------------------------------------------------------------

# At most this many names of one note are looked up.
MENTIONS_MAX = 20
# `@name` where the @ starts a word (not the middle of an address: "bob@example.com"); a
# name is letters, digits and . + - _ (Django's username characters but @), up to 150.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]{1,150})")


def mentioned_names(text: str) -> list[str]:
    """The names after @ in `text`, lower case, without repeats, the first MENTIONS_MAX."""
    names: list[str] = []
    for match in _MENTION.finditer(text or ""):
        name = match.group(1).rstrip(".").lower()  # "@bob." ends a sentence
        if name and name not in names:
            names.append(name)
            if len(names) >= MENTIONS_MAX:
                break
    return names


def agents_named(names: Iterable[str]) -> list[Agent]:
    names = list(names)
    if not names:
        return []
    return list(
        Agent.objects.select_related("user").annotate(username=Lower("user__username")).filter(username__in=names)
    )


def notify_mentions(*, ticket: Ticket, message: Message, actor: Actor) -> list[Agent]:
    """Tell the agents an internal note names (@username) who may see the ticket, but not
    its author. Returns the agents told."""
    told = []
    for agent in agents_named(mentioned_names(message.body)):
        if actor.agent is not None and agent.pk == actor.agent.pk:
            continue
        if not _may_see(agent, ticket):
            continue
        _tell(agent=agent, ticket=ticket, actor=actor, change="mention", message=message)
        told.append(agent)
    return told


def highlight_mentions(text: str, names: Collection[str]) -> SafeString:
    """`text` escaped, with each @name of `names` (lower case: an agent's) marked up."""

    def mark(match: re.Match) -> str:
        name = match.group(1).rstrip(".")
        if name.lower() not in names:
            return match.group(0)
        rest = match.group(1)[len(name) :]
        return f'<strong class="mention">@{name}</strong>{rest}'

    # Escaping leaves @, letters, digits and . + - _ as they are: the names are found in it.
    return mark_safe(_MENTION.sub(mark, escape(text)))  # noqa: S308  # nosec B308, B703  # escaped above
