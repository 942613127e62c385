"""Writes to agents: creating an agent creates or links its Django user."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agents.models import Agent, AgentRole, Team, category_model
from agents.roles import ADMINS_GROUP, SUPERVISORS_GROUP


class AgentUserTaken(Exception):
    """The Django user that would be linked already belongs to another agent."""


def find_user(*, email: str, username: str | None = None):
    """The user with this username, else the first with this email, else None."""
    User = get_user_model()
    user = None
    if username:
        user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.filter(email__iexact=email).order_by("id").first()
    return user


def user_for_agent(*, email: str, username: str | None, name: str):
    """The user to link: found by find_user, else a new one without a usable password."""
    User = get_user_model()
    user = find_user(email=email, username=username)
    if user is None:
        base = username or slugify(email.split("@")[0]) or "agent"
        candidate, suffix = base, 1
        while User.objects.filter(username=candidate).exists():
            suffix += 1
            candidate = f"{base}{suffix}"
        first, _space, last = name.partition(" ")
        user = User(username=candidate, email=email, first_name=first[:150], last_name=last[:150])
        user.set_unusable_password()  # the agent sets one through password reset
        user.save()
    if Agent.objects.filter(user=user).exists():
        raise AgentUserTaken(_("User %(username)s is already an agent.") % {"username": user.get_username()})
    return user


def sync_staff_flag(agent: Agent) -> None:
    """Supervisors and admins manage agents, categories and SLA in Django admin."""

    manages = agent.role in (AgentRole.SUPERVISOR, AgentRole.ADMIN)
    is_staff = manages or agent.user.is_superuser
    if agent.user.is_staff != is_staff:
        agent.user.is_staff = is_staff
        agent.user.save(update_fields=["is_staff"])
    for name, member in ((SUPERVISORS_GROUP, manages), (ADMINS_GROUP, agent.role == AgentRole.ADMIN)):
        group, _created = Group.objects.get_or_create(name=name)
        if member:
            agent.user.groups.add(group)
        else:
            agent.user.groups.remove(group)


@transaction.atomic
def agent_create(
    *,
    name: str,
    email: str,
    specializations: Iterable[models.Model],
    username: str | None = None,
    **fields: Any,
) -> Agent:
    user = user_for_agent(email=email, username=username, name=name)
    agent = Agent.objects.create(user=user, name=name, email=email, **fields)
    agent.specializations.set(specializations)
    sync_staff_flag(agent)
    return agent


@transaction.atomic
def agent_update(*, agent: Agent, specializations: Iterable[models.Model] | None = None, **fields: Any) -> Agent:
    for field, value in fields.items():
        setattr(agent, field, value)
    agent.save()
    if specializations is not None:
        agent.specializations.set(specializations)
    sync_staff_flag(agent)
    return agent


# --- Teams ------------------------------------------------------------------------------


class TeamLeadNotMember(ValueError):
    """A team's lead must be one of its members."""


def _check_lead(team: Team) -> None:
    if team.lead_id is not None and not team.members.filter(pk=team.lead_id).exists():
        raise TeamLeadNotMember(_("The lead must be one of the team's members."))


def route_categories(team: Team, categories: Iterable[models.Model]) -> None:
    """Exactly `categories` route to `team`: each is taken from the team it routed to before
    (a category routes to one team at most), and the team's others route nowhere."""
    Category = category_model()
    chosen = [category.pk for category in categories]
    Category.objects.filter(team=team).exclude(pk__in=chosen).update(team=None)
    Category.objects.filter(pk__in=chosen).update(team=team)


@transaction.atomic
def team_create(
    *,
    name: str,
    members: Iterable[Agent] = (),
    categories: Iterable[models.Model] | None = None,
    **fields: Any,
) -> Team:
    """A team with its members and the categories routed to it; the lead among the members."""
    team = Team.objects.create(name=name, **fields)
    team.members.set(members)
    _check_lead(team)
    if categories is not None:
        route_categories(team, categories)
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    members: Iterable[Agent] | None = None,
    categories: Iterable[models.Model] | None = None,
    **fields: Any,
) -> Team:
    """Change a team; members and categories, when given, are the whole new list."""
    for field, value in fields.items():
        setattr(team, field, value)
    team.save()
    if members is not None:
        team.members.set(members)
    _check_lead(team)
    if categories is not None:
        route_categories(team, categories)
    return team
