from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import npgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found
from django.views.defaults import server_error as page

from core.health import run_checks, run_warning_checks
from core.monitoring import may_see_details


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database, cache and broker all answer; 503 when one did not.

    When all answer, the registered warning checks run too (core.health): what they find
    is listed under "warnings" (only when there is some) and the answer stays a 200.
    Everyone gets the overall status; which check failed, and the warnings, only monitoring
    callers and signed-in staff (core.monitoring): a stranger learns nothing of the inside.

    Deliberately outside DRF: it needs no authentication and must not depend on the
    session or token tables, which live in the database being checked.
    """
    checks = run_checks()
    healthy = all(result == "ok" for result in checks.values())
    answer: dict = {"status": "ok" if healthy else "error"}
    if may_see_details(request):
        answer["checks"] = checks
        if healthy:
            warnings = run_warning_checks()
            if warnings:
                answer["warnings"] = warnings
    return JsonResponse(answer, status=200 if healthy else 503)


@never_cache
@require_GET
def health_live(request: HttpRequest) -> JsonResponse:
    """200 while this process serves requests: the liveness probe.

    It touches no database, cache or broker on purpose. A restart cures a hung process,
    not a database outage, so an outage must make pods unready (/api/health), never
    restart every one of them at once.
    """
    return JsonResponse({"status": "ok"})


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """django-ratelimit's answer when a limit is exceeded: a 429 page a person can read,
    saying when to try again, and `Retry-After` with the seconds left in the window."""
    seconds = getattr(exception, "retry_after", None) or 60
    response = render(
        request, "portal/rate_limited.html", {"retry_after": seconds, "wait": wait_in_words(seconds)}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        # Translators: inside "Please try again in about %(wait)s" (the minutes and hours too).
        return npgettext("wait before retrying", "%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = -(-seconds // 60)
    if minutes < 90:
        return npgettext("wait before retrying", "%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = -(-minutes // 60)
    return npgettext("wait before retrying", "%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """JSON for the API, a page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Server error; it has been logged.")}, status=500)
    return page(request)


def in_english(view):
    """`view` answered in English, rendered too, whatever language the request asked for."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with translation.override("en"):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["Content-Language"] = "en"
        return response

    return wrapper
