"""Sign-in, sign-out and password reset, with one throttle for every password form.

The sign-in form is django-allauth's (`/accounts/login/`): after the password it asks for
the second factor of an agent who has one (agents.mfa), and it offers single sign-on when
an OpenID Connect provider is configured (agents.sso). Only the allauth views the helpdesk
uses are routed below: nobody signs up, changes an email address or links accounts here.
The admin's own sign-in form redirects to this one (helpdesk.urls), so the second factor
guards Django admin too. Sign-out and password reset are Django's.

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
import time
import unicodedata
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from allauth.account import views as allauth_views
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount import views as socialaccount_views
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_ratelimit.core import _split_rate
from requests import RequestException

from core.ratelimit import client_ip, ratelimit
from core.views import wait_in_words


def _rate(setting: str):
    return lambda group, request: getattr(settings, setting)


# --- django-axes: whom a failure counts against, how many lock, for how long ----------------


def normalized_username(value: object) -> str:
    """A username as Django's sign-in forms read it (NFKC, stripped), case-folded."""
    return unicodedata.normalize("NFKC", str(value or "")).strip().casefold()


def login_username(request: HttpRequest | None, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the normalized username of an attempt (allauth's form names
    the field "login", Django's "username")."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("login") or request.POST.get("username", "")
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


# --- django-allauth ----------------------------------------------------------------------

SIGNED_IN_AT = "helpdesk_signed_in_at"  # session key: when allauth's sign-in ended (time.time())


class AccountAdapter(DefaultAccountAdapter):
    """ACCOUNT_ADAPTER: no sign-up, one password throttle, the project's client address."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        """django-axes counts password failures (above); allauth's own count would be a second,
        different limit on the same form. Its limit on second-factor codes stays."""

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request)

    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        # Reached only at the end of allauth's flow: the password and, for an agent who has
        # one, the second factor; or the identity provider's answer.
        request.session[SIGNED_IN_AT] = time.time()
        return super().post_login(request, user, **kwargs)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A sign-in of the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds counts as a recent
        password: the agent a required role sends from the sign-in form to setting up an
        authenticator app is not asked for the password a second time."""
        signed_in_at = context.request.session.get(SIGNED_IN_AT) if context.request is not None else None
        if signed_in_at and time.time() - signed_in_at < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        # allauth's "Successfully signed in as ..." on every sign-in: the workspace shows who is
        # signed in already.
        if message_template == "account/messages/logged_in.txt":
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message=message)


# --- Views ------------------------------------------------------------------------------


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/: Django admin signs in through the one sign-in form (its password throttle,
    its second factor), then returns where it was going. A signed-in user who is not staff is
    refused here rather than sent back and forth between the two."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(target)
        raise PermissionDenied
    return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")


def _provider_reachable(view):
    """allauth's single sign-on views, answering 503 and a page that says so when the identity
    provider cannot be reached or is refused by the outgoing-call rules (allauth would let
    the exception through as a 500)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except RequestException:
            reason = _("The identity provider cannot be reached right now. Try again in a few minutes.")
            response = render(request, "account/sso_refused.html", {"reason": reason}, status=503)
            response["Retry-After"] = "60"
            return response

    return wrapper


def _reset_address(group: str, request: HttpRequest) -> str:
    return normalized_username(request.POST.get("email", ""))


_RESET_RATE = _rate("PASSWORD_RESET_RATE")


@method_decorator(ratelimit(key="ip", rate=_RESET_RATE, method="POST", block=True), name="post")
@method_decorator(ratelimit(key=_reset_address, rate=_RESET_RATE, method="POST", block=True), name="post")
class PasswordResetView(auth_views.PasswordResetView):
    pass


urlpatterns = [
    path("login/", allauth_views.login, name="account_login"),
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("2fa/", include("allauth.mfa.urls")),
    # Single sign-on: /accounts/oidc/<provider>/login/ and its callback, and the pages of a
    # refused or cancelled sign-in.
    path("oidc/<str:provider_id>/login/", _provider_reachable(oidc_views.login), name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        _provider_reachable(oidc_views.callback),
        name="openid_connect_callback",
    ),
    path("sso/login/cancelled/", socialaccount_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/login/error/", socialaccount_views.login_error, name="socialaccount_login_error"),
    path("sso/signup/", socialaccount_views.signup, name="socialaccount_signup"),
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
