"""The satisfaction survey on the portal: one page, one answer, a clear word when closed."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.ratelimit import ratelimit
from feedback.forms import SurveyForm
from feedback.models import SurveyState
from feedback.services import SurveyClosed, invitation_for_token, survey_answer

CLOSED = {
    "invalid": (
        _("This survey link is not valid"),
        _("The link may be incomplete or changed. Please use the link from our email."),
    ),
    SurveyState.ANSWERED: (_("You already answered this survey"), _("Thank you — we received your answer.")),
    SurveyState.EXPIRED: (
        _("This survey has closed"),
        _("Survey links work for a limited time. Thank you all the same."),
    ),
}


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    title, text = CLOSED[reason]
    status = 404 if reason == "invalid" else 410
    return render(request, "feedback/closed.html", {"title": title, "text": text}, status=status)


@never_cache
@ratelimit(key="ip", rate=lambda group, request: settings.PORTAL_SURVEY_RATE, method="POST", block=True)
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for_token(token)
    if invitation is None:
        return _closed(request, "invalid")
    if invitation.state != SurveyState.SENT:
        return _closed(request, invitation.state)
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(invitation=invitation, **form.cleaned_data)
        except SurveyClosed as closed:
            return _closed(request, closed.reason)
        return redirect("survey:thanks")
    context = {"form": form, "ticket": invitation.ticket, "agent": invitation.agent}
    return render(request, "feedback/survey.html", context, status=400 if form.errors else 200)


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/thanks.html")
