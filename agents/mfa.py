"""Two-factor sign-in (django-allauth's MFA): an authenticator app (TOTP) and recovery codes.

An agent adds an authenticator app under "Security" (/accounts/2fa/); from then on the sign-in
form asks for its six-digit code (or a recovery code) after the password, Django admin
included (it signs in through the same form, core.accounts.admin_login). Wrong codes are
limited per user (ACCOUNT_RATE_LIMITS "login_failed"). The TOTP secret and the recovery
codes' seed are stored encrypted (core.crypto). Adding or removing a factor is emailed to the
agent (allauth's notices) and written in the audit log.

MFA_REQUIRED_ROLES (supervisor and admin by default; superusers count as admin) makes it
compulsory: MfaRequiredMiddleware sends a user of such a role who signed in with a password
alone to set an authenticator app up before any other page, answers the API's session
callers 403 `mfa_required`, and signs out a session that did not begin with allauth's sign-in.
A single sign-on session counts as verified: the identity provider is where the second factor
of those users lives. Such a user cannot remove their authenticator app.

How a session began is kept in it (SIGNED_IN_VIA): "mfa", "sso" or "password", set when
allauth's sign-in ends (it sends user_logged_in only after the second step) and updated when
an authenticator is added or removed, so the middleware costs no query of its own.
"""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.signals import user_logged_in
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from agents.roles import agent_for
from core import crypto

SIGNED_IN_VIA = "helpdesk_signed_in_via"
VERIFIED = ("mfa", "sso")
_SALT = "agents.mfa.authenticator-secret"
# Pages a user who must set up a second factor may still open: the sign-in pages and the
# second factor's own, sign-out, static files, language and the probes.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/health", "/metrics")


class MFAAdapter(DefaultMFAAdapter):
    """MFA_ADAPTER: secrets encrypted at rest; required roles keep their authenticator app."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text, salt=_SALT)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text, salt=_SALT)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return not (authenticator.type == Authenticator.Type.TOTP and mfa_required(authenticator.user))

    def get_totp_label(self, user) -> str:
        return user.get_username()


def role_of(user) -> str | None:
    """The role MFA_REQUIRED_ROLES is matched against: the agent's, "admin" for a superuser."""
    if getattr(user, "is_superuser", False):
        return "admin"
    agent = agent_for(user)
    return agent.role if agent is not None else None


def mfa_required(user) -> bool:
    roles = settings.MFA_REQUIRED_ROLES
    return bool(roles) and user.is_authenticated and role_of(user) in roles


# --- How the session began -------------------------------------------------------------


def _signed_in(sender, request: HttpRequest, user, sociallogin=None, **kwargs) -> None:
    if sociallogin is not None:
        request.session[SIGNED_IN_VIA] = "sso"
    else:
        request.session[SIGNED_IN_VIA] = "mfa" if is_mfa_enabled(user) else "password"


def _factor_added(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and request.session.get(SIGNED_IN_VIA) == "password":
        request.session[SIGNED_IN_VIA] = "mfa"


def _factor_removed(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and request.session.get(SIGNED_IN_VIA) == "mfa" and not is_mfa_enabled(user):
        request.session[SIGNED_IN_VIA] = "password"


def connect_signals() -> None:
    """Called from AgentsConfig.ready."""
    user_logged_in.connect(_signed_in, dispatch_uid="agents.mfa.signed_in")
    authenticator_added.connect(_factor_added, dispatch_uid="agents.mfa.factor_added")
    authenticator_removed.connect(_factor_removed, dispatch_uid="agents.mfa.factor_removed")


# --- The requirement -------------------------------------------------------------------


class MfaRequiredMiddleware:
    """Users of MFA_REQUIRED_ROLES use the helpdesk only with a second factor (module doc)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.MFA_REQUIRED_ROLES or request.path.startswith(_OPEN_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not mfa_required(user):
            return self.get_response(request)
        via = request.session.get(SIGNED_IN_VIA)
        if via in VERIFIED:
            return self.get_response(request)
        is_api = request.path.startswith("/api/")
        if via is None:  # a session that did not begin with the sign-in form
            logout(request)
            if is_api:
                return _refused(_("Sign in again: your role signs in with a second factor."), 401)
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
        if is_api:
            return _refused(_("Your role must sign in with a second factor; set up an authenticator app first."), 403)
        messages.warning(
            request, _("Your role signs in with a second factor. Set up an authenticator app to continue.")
        )
        return redirect("mfa_activate_totp")


def _refused(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": "mfa_required"}, status=status)
