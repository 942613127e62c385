"""Restricted teams: who may see which tickets, the one rule every read and notice obeys.

A ticket of a restricted team (agents.Team.restricted) is seen only by the team's members,
supervisors and admins (superusers count as admins). Integrations (API users of the
"integrations" group, agents.roles) see every ticket: they are machine accounts an admin
issues for a whole system (a CRM, a status page), not people in a team (docs/security.md,
"Restricted teams").

What a user may not see is a short list of team ids, `hidden_team_ids(user)`, read once per
request and kept on the user object (as agents.roles.agent_for keeps the profile). The
selectors exclude those teams' tickets (`tickets_for_user`, one `team_id NOT IN (…)` only
when the list is not empty) and answer 404 for one of them (`_one_ticket`); notices go only
to agents who may see their ticket (`agent_may_see`), and the SLA scan says the same in
SQL (sla.queries).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from agents.models import Agent, AgentRole, Team
from agents.roles import agent_for, is_integration, is_supervisor
from notifications.models import Notification
from tickets.models import Ticket

_HIDDEN = "_helpdesk_hidden_team_ids"


def hidden_team_ids(user) -> frozenset[int]:
    """The restricted teams whose tickets `user` may not see: every restricted team they are
    not a member of; none for supervisors, admins, superusers and integrations. Read once
    per request (one small query, only for an agent of the plain role), kept on `user`."""
    if user is None or not user.is_authenticated:
        return _all_restricted()
    if not hasattr(user, _HIDDEN):
        agent = agent_for(user)
        if is_supervisor(user) or (agent is None and is_integration(user)):
            hidden = frozenset()
        else:
            hidden = _hidden_from_agent(agent) if agent is not None else _all_restricted()
        setattr(user, _HIDDEN, hidden)
    return getattr(user, _HIDDEN)


def _all_restricted() -> frozenset[int]:
    return frozenset(Team.objects.filter(restricted=True).values_list("id", flat=True))


def _hidden_from_agent(agent: Agent) -> frozenset[int]:
    return frozenset(Team.objects.filter(restricted=True).exclude(members=agent).values_list("id", flat=True))


def visible_to(user) -> Q | None:
    """A filter keeping the tickets `user` may see, or None when they may see them all."""
    hidden = hidden_team_ids(user)
    return ~Q(team_id__in=sorted(hidden)) if hidden else None


def may_see_team(user, team_id: int | None) -> bool:
    """Whether `user` may see a ticket of team `team_id` (None: no team)."""
    return team_id is None or team_id not in hidden_team_ids(user)


def of_visible_tickets(rows: QuerySet, user, *, ticket: str = "ticket") -> QuerySet:
    """Rows about a ticket (feedback, surveys, violations, stored emails) narrowed to those
    of tickets `user` may see: not a restricted team's they are outside of. `ticket` names
    the rows' relation to their ticket. No change for a reader with nothing hidden."""
    hidden = hidden_team_ids(user)
    return rows.exclude(**{f"{ticket}__team_id__in": sorted(hidden)}) if hidden else rows


def agent_may_see(agent: Agent, team_id: int | None) -> bool:
    """Whether `agent` may see a ticket of team `team_id`: for notices and assignment, where
    the agent is not the one making the request (one query when the ticket has a team)."""
    if team_id is None or agent.role in (AgentRole.SUPERVISOR, AgentRole.ADMIN):
        return True
    return not Team.objects.filter(pk=team_id, restricted=True).exclude(members=agent).exists()


def agents_who_may_see(agents: QuerySet[Agent], team_id: int | None) -> QuerySet[Agent]:
    """`agents` narrowed to those who may see a ticket of team `team_id`: all of them unless
    the team is restricted, else its members, supervisors and admins (in the same query)."""
    if team_id is None:
        return agents
    restricted = Team.objects.filter(pk=team_id, restricted=True)
    member = Team.members.through.objects.filter(team_id=team_id, agent_id=OuterRef("pk"))
    return agents.filter(
        ~Exists(restricted)
        | Q(role__in=(AgentRole.SUPERVISOR, AgentRole.ADMIN))
        | Q(user__is_superuser=True)
        | Exists(member)
    )


def visible_notices(notices: QuerySet[Notification], user) -> QuerySet[Notification]:
    """An inbox without the notices of tickets hidden from `user` (notifications.inbox's
    filter, registered by TicketsConfig.ready()): a primary-key probe per notice, and only
    for a reader with something hidden."""
    hidden = hidden_team_ids(user)
    if not hidden:
        return notices
    of_hidden = Ticket.objects.filter(pk=OuterRef("about_ticket"), team_id__in=sorted(hidden))
    return notices.alias(about_ticket=Cast(KT("payload__ticket_id"), BigIntegerField())).exclude(Exists(of_hidden))


def withheld_notifications(rows: Sequence[Notification]) -> set[int]:
    """Of outbox rows about to be sent, those written for a person about a ticket that is now
    a restricted team's they are not in (notifications.inbox's send check, registered by
    TicketsConfig.ready()). One read of the batch's tickets of restricted teams; the members
    and the people who see every team are read only when there are some."""
    about = {}
    for row in rows:
        ticket_id = (row.payload or {}).get("ticket_id")
        if row.user_id is not None and isinstance(ticket_id, int):
            about[row.pk] = (row.user_id, ticket_id)
    if not about:
        return set()
    restricted = dict(
        Ticket.objects.filter(pk__in={ticket for _user, ticket in about.values()}, team__restricted=True).values_list(
            "pk", "team_id"
        )
    )
    if not restricted:
        return set()
    users = {user for user, ticket in about.values() if ticket in restricted}
    members = set(
        Team.members.through.objects.filter(team_id__in=set(restricted.values()), agent__user_id__in=users).values_list(
            "team_id", "agent__user_id"
        )
    )
    everywhere = set(
        User.objects.filter(pk__in=users)
        .filter(Q(is_superuser=True) | Q(agent__role__in=(AgentRole.SUPERVISOR, AgentRole.ADMIN)))
        .values_list("pk", flat=True)
    )
    return {
        pk
        for pk, (user, ticket) in about.items()
        if ticket in restricted and user not in everywhere and (restricted[ticket], user) not in members
    }
