"""The agent's in-app notifications: the list behind the bell, and marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents.decorators import agent_required
from agents.roles import agent_for
from notifications.inbox import inbox
from notifications.payloads import describe_all


def unread_count(request: HttpRequest) -> dict:
    """Context processor: the bell's number on agent pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/agent/"):
        return {}
    return {"unread_notifications": inbox(user).filter(read_at__isnull=True).count()}


@require_GET
@agent_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox(request.user).order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    page.object_list = describe_all(list(page.object_list))  # SLA alerts' tickets in one read
    agent = agent_for(request.user)
    return render(request, "notifications/list.html", {"page": page, "agent": agent})


@require_POST
@agent_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """The agent's choice of email besides in-app notices for followed tickets and
    mentions (Agent.follow_by_email)."""
    agent = agent_for(request.user)
    if agent is None:
        messages.error(request, _("Only agents with a profile have notification preferences."))
        return redirect("agent:notifications")
    wanted = request.POST.get("follow_by_email") == "on"
    if agent.follow_by_email != wanted:
        agent.follow_by_email = wanted
        agent.save(update_fields=["follow_by_email", "updated_at"])
    messages.success(request, _("Preferences saved."))
    return redirect("agent:notifications")


@require_POST
@agent_required
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one (`id`) or all of the caller's notifications read; go to its ticket if asked."""
    notifications = inbox(request.user).filter(read_at__isnull=True)
    target = request.POST.get("id", "")
    if target.isdigit():
        notifications = notifications.filter(pk=int(target))
    notifications.update(read_at=timezone.now())
    url = request.POST.get("next", "")
    if url.startswith("/agent/"):
        return redirect(url)
    return redirect("agent:notifications")
