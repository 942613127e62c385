"""Single sign-on with OpenID Connect (django-allauth's openid_connect provider).

Configured by the environment (helpdesk.settings, "Single sign-on"): OIDC_ISSUER (its
discovery document gives every endpoint), OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, the
allowed email domains, a claim mapped to the agent's role, and whether an unknown address
becomes an agent (OIDC_CREATE_AGENTS, off by default). The sign-in page then offers
"Sign in with <OIDC_NAME>"; the provider's callback is /accounts/oidc/sso/login/callback/.

Who gets in (SocialAccountAdapter.pre_social_login), in order:
1. an address outside OIDC_ALLOWED_DOMAINS is refused;
2. with OIDC_ROLE_CLAIM set, a user whose claim maps to no role (OIDC_ROLE_MAP) is refused;
3. an identity signed in before is the agent it was linked to (its role follows the claim);
4. from here on the provider must say the address is verified (`email_verified`): otherwise
   anyone who can make an account at the provider with a colleague's address would become
   that colleague;
5. an agent whose address matches is linked;
6. anyone else becomes a new agent when OIDC_CREATE_AGENTS is on, and is refused otherwise.
A refusal shows a page that says why (templates/account/sso_refused.html), and nothing is
created. Calls to the provider go through allauth's requests session, bounded in time, each
URL checked by the guarded client's rules first (core.outbound.check_url), redirects off.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from agents.models import Agent, AgentRole
from agents.services import agent_create, sync_staff_flag
from core import outbound

logger = logging.getLogger(__name__)


def claims(sociallogin: SocialLogin) -> dict[str, Any]:
    """The ID token's claims with the userinfo endpoint's on top."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def role_from_claims(values: dict[str, Any]) -> str | None:
    """The role OIDC_ROLE_CLAIM maps to (the strongest when the claim is a list), or None."""
    raw = values.get(settings.OIDC_ROLE_CLAIM)
    names = raw if isinstance(raw, list) else [raw]
    mapped = {settings.OIDC_ROLE_MAP.get(str(name)) for name in names if name is not None}
    for role in (AgentRole.ADMIN, AgentRole.SUPERVISOR, AgentRole.AGENT):
        if role.value in mapped:
            return role.value
    return None


def _verified(values: dict[str, Any]) -> bool:
    return values.get("email_verified") is True or str(values.get("email_verified")).lower() == "true"


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    def send(self, request, **kwargs):
        try:
            outbound.check_url(request.url)
        except outbound.Refused as refused:  # nothing sent; allauth shows its sign-in error page
            logger.warning("single sign-on: a call to %s was refused: %s", request.url, refused)
            raise requests.exceptions.ConnectionError(f"refused by policy: {refused}") from None
        return super().send(request, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """SOCIALACCOUNT_ADAPTER: who may sign in through the identity provider (module doc)."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False  # new agents are made in pre_social_login, never by allauth's sign-up

    def get_requests_session(self) -> requests.Session:
        session = requests.Session()
        guarded = _GuardedAdapter()
        session.mount("http://", guarded)
        session.mount("https://", guarded)
        session.max_redirects = 0
        timeout = socialaccount_settings.REQUESTS_TIMEOUT
        original = session.request

        def request(method, url, **kwargs):
            kwargs.setdefault("timeout", timeout)
            kwargs["allow_redirects"] = False
            return original(method, url, **kwargs)

        session.request = request
        return session

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        values = claims(sociallogin)
        email = str(values.get("email") or "").strip()
        domain = email.rpartition("@")[2].lower()
        if not email or (settings.OIDC_ALLOWED_DOMAINS and domain not in settings.OIDC_ALLOWED_DOMAINS):
            self._refuse(request, _("Addresses of this domain cannot sign in to this helpdesk."), email)
        role = role_from_claims(values) if settings.OIDC_ROLE_CLAIM else None
        if settings.OIDC_ROLE_CLAIM and role is None:
            self._refuse(request, _("Your account at the identity provider gives you no role in this helpdesk."), email)

        if sociallogin.is_existing:
            agent = Agent.objects.filter(user=sociallogin.user).first()
            if agent is None:
                self._refuse(request, _("This identity is not linked to an agent any more."), email)
            self._set_role(agent, role)
            return

        if not _verified(values):
            self._refuse(request, _("The identity provider has not verified this address, so it is not used."), email)
        agent = Agent.objects.filter(email__iexact=email).select_related("user").first()
        if agent is not None:
            with transaction.atomic():
                sociallogin.connect(request, agent.user)
                self._set_role(agent, role)
            return

        if not settings.OIDC_CREATE_AGENTS:
            self._refuse(request, _("There is no agent with this address. Ask an administrator to add you."), email)
        with transaction.atomic():
            name = str(values.get("name") or email.partition("@")[0])[:200]
            # No username from the provider: find_user would link whoever holds it here.
            agent = agent_create(name=name, email=email, specializations=[], role=role or AgentRole.AGENT)
            sociallogin.connect(request, agent.user)
        logger.info("single sign-on created the agent %s (%s)", agent.pk, agent.role)

    def _set_role(self, agent: Agent, role: str | None) -> None:
        if role is not None and agent.role != role:
            agent.role = role
            agent.save(update_fields=["role"])
            sync_staff_flag(agent)

    def _refuse(self, request: HttpRequest, reason: str, email: str) -> None:
        logger.info("single sign-on refused for %r: %s", email, reason)
        raise ImmediateHttpResponse(render(request, "account/sso_refused.html", {"reason": reason}, status=403))
