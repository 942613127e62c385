from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

from agents.roles import is_admin, is_agent, is_integration, is_supervisor


class IsAgent(BasePermission):
    message = "Only support agents can do this."

    def has_permission(self, request, view) -> bool:
        return is_agent(request.user)


class WorksTickets(BasePermission):
    """Agents and integrations; what each may see is narrowed by the selectors."""

    message = "Only support agents and integrations can work tickets."

    def has_permission(self, request, view) -> bool:
        return is_agent(request.user) or is_integration(request.user)


class AgentsReadSupervisorsWrite(BasePermission):
    message = "Only supervisors and admins can change agents."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_agent(request.user) or is_integration(request.user)
        return is_supervisor(request.user)


class SettingsReadSupervisorsWrite(AgentsReadSupervisorsWrite):
    """The helpdesk's settings (categories, tags, business calendars): read by everyone who
    works tickets, written by supervisors and admins, as Django admin's supervisors group."""

    message = gettext_lazy("Only supervisors and admins can change this.")


class IsAdmin(BasePermission):
    message = "Only admins can do this."

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)
