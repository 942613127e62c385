"""Sign-in, sign-out and password reset, with one throttle for every password form.

Password sign-ins, on `/accounts/login/` and `/admin/login/` alike (anything that calls
`django.contrib.auth.authenticate` with the request), are counted by django-axes
(settings: AXES_*): failures only, per client address and per username, where the username
is the one Django will read (NFKC-normalized, stripped) and case-folded on top, so `"chen "`
and `chen` in full-width letters count against `chen`. LOGIN_RATE ("10/15m") is both the number of failures
that locks and the time the lock lasts after the last of them. A locked sign-in gets a 429
page with `Retry-After`, the seconds until the lock lifts; the right password does not get
past it. Attempts refused while locked do not extend the lock (the Retry-After stays true).

An admin lifts a lock early by deleting its rows under "Access attempts" in Django admin, or
with `manage.py axes_reset_username <username>` (the case-folded name) or `axes_reset_ip`.

Password reset requests are limited per client address and per address asked for
(PASSWORD_RESET_RATE, django-ratelimit): the form tells nobody whether an account exists, so
it counts every request.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import timedelta

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django_ratelimit.core import _split_rate

from core.ratelimit import client_ip, ratelimit
from core.views import wait_in_words


def _rate(setting: str):
    return lambda group, request: getattr(settings, setting)


# --- django-axes: whom a failure counts against, how many lock, for how long ----------------


def normalized_username(value: object) -> str:
    """A username as Django's sign-in forms read it (NFKC, stripped), case-folded."""
    return unicodedata.normalize("NFKC", str(value or "")).strip().casefold()


def login_username(request: HttpRequest | None, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the normalized username of an attempt."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username", "")
    return normalized_username(value)


def login_client_ip(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the address every other limit counts (TRUSTED_PROXY_COUNT)."""
    return client_ip(request)


def login_failure_limit(request: HttpRequest | None, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT: the count of LOGIN_RATE."""
    return _split_rate(settings.LOGIN_RATE)[0]


def login_cool_off(request: HttpRequest | None = None) -> timedelta:
    """AXES_COOLOFF_TIME: the period of LOGIN_RATE, counted from the last failure."""
    return timedelta(seconds=_split_rate(settings.LOGIN_RATE)[1])


def _locked_for(request: HttpRequest, credentials: dict | None) -> int:
    """Whole seconds until this client may sign in again (1 at least): past the failure
    that still completes the limit, for each of the address and the username."""
    limit = get_failure_limit(request, credentials)
    cool_off = login_cool_off(request)
    now = timezone.now()
    since = now - cool_off
    username = login_username(request, credentials)
    ip_address = login_client_ip(request)
    until = now
    for matching in (Q(ip_address=ip_address), Q(username=username)):
        failures = 0
        rows = AccessAttempt.objects.filter(matching, attempt_time__gte=since).order_by("-attempt_time")
        for attempt_time, count in rows.values_list("attempt_time", "failures_since_start"):
            failures += count
            if failures >= limit:  # the lock lasts until this row, the oldest still needed, expires
                until = max(until, attempt_time + cool_off)
                break
    # A failure still counts at exactly its time + cool-off: the lock lifts the second after.
    return max(1, math.floor((until - now).total_seconds()) + 1)


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page a person can read, 429, and the true Retry-After."""
    seconds = _locked_for(request, credentials)
    response = render(
        request,
        "registration/locked_out.html",
        {"retry_after": seconds, "wait": wait_in_words(seconds)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


# --- Views ------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


def _reset_address(group: str, request: HttpRequest) -> str:
    return normalized_username(request.POST.get("email", ""))


_RESET_RATE = _rate("PASSWORD_RESET_RATE")


@method_decorator(ratelimit(key="ip", rate=_RESET_RATE, method="POST", block=True), name="post")
@method_decorator(ratelimit(key=_reset_address, rate=_RESET_RATE, method="POST", block=True), name="post")
class PasswordResetView(auth_views.PasswordResetView):
    pass


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
