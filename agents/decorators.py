"""Access to the agent workspace: sign-in for everyone, the right role for some pages."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from agents.roles import agent_for, is_agent, is_supervisor


def _guard(check: Callable, message: str) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


agent_required = _guard(is_agent, _("The agent workspace is for support agents."))
supervisor_required = _guard(is_supervisor, _("The dashboard is for supervisors and admins."))


# Pages an agent reads in the language of their profile (Agent.language): the workspace, the
# dashboard and the second factor's settings.
AGENT_PAGES = ("/agent/", "/accounts/2fa/")


class AgentTimezoneMiddleware:
    """Show agent pages in the signed-in agent's own time zone and, when their profile names
    one, their own language (over the browser's, which LocaleMiddleware chose)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = agent_for(request.user) if request.path.startswith(AGENT_PAGES) else None
        if agent is None:
            return self.get_response(request)
        if agent.language:
            translation.activate(agent.language)
            request.LANGUAGE_CODE = agent.language
        with timezone.override(zoneinfo.ZoneInfo(agent.timezone)):
            return self.get_response(request)
