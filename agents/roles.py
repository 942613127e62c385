"""Who a user is to the helpdesk: an agent, a supervisor, an integration, or nobody.

Agents have an Agent profile (role agent, supervisor or admin). Integrations are users in
the "integrations" group without a profile: they create and update tickets through the
API but never see internal notes. Superusers count as supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from agents.models import Agent

INTEGRATIONS_GROUP = "integrations"
SUPERVISORS_GROUP = "supervisors"  # Django admin permissions (agents/migrations/0004)
ADMINS_GROUP = "admins"  # and for the admin role: audit log, API tokens, sign-in locks (0011)


def agent_for(user: AbstractBaseUser | AnonymousUser | None) -> Agent | None:
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_helpdesk_agent"):
        user._helpdesk_agent = Agent.objects.filter(user=user).first()
    return user._helpdesk_agent


def is_agent(user) -> bool:
    return agent_for(user) is not None or bool(getattr(user, "is_superuser", False))


def _has_role(user, roles: tuple[str, ...]) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    agent = agent_for(user)
    return agent is not None and agent.role in roles


def is_supervisor(user) -> bool:
    return _has_role(user, ("supervisor", "admin"))


def is_admin(user) -> bool:
    """A superuser or an agent with the admin role."""
    return _has_role(user, ("admin",))


def is_integration(user) -> bool:
    if user is None or not user.is_authenticated or agent_for(user) is not None:
        return False
    if not hasattr(user, "_helpdesk_integration"):
        user._helpdesk_integration = user.groups.filter(name=INTEGRATIONS_GROUP).exists()
    return user._helpdesk_integration


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the history and the emails name them."""

    type: str  # customer, agent, integration, system
    name: str
    user: AbstractBaseUser | None = None
    agent: Agent | None = None

    @property
    def is_agent(self) -> bool:
        return self.type == "agent"


SYSTEM = Actor(type="system", name="Helpdesk")


def actor_for(user) -> Actor:
    agent = agent_for(user)
    if agent is not None:
        return Actor(type="agent", name=agent.name, user=user, agent=agent)
    if getattr(user, "is_superuser", False):
        return Actor(type="agent", name=user.get_full_name() or user.get_username(), user=user)
    return Actor(type="integration", name=user.get_username(), user=user)


def customer_actor(name: str, email: str) -> Actor:
    return Actor(type="customer", name=name or email)
