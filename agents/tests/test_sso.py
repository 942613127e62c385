"""Single sign-on with OpenID Connect (issue 20, point 3), end to end against an identity
provider running on localhost (oidc-provider-mock): real discovery, authorization code with
PKCE, token exchange, ID token signature checked against its JWKS, userinfo."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client
from oidc_provider_mock import run_server_in_thread

from agents.models import Agent
from agents.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

START = "/accounts/oidc/sso/login/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def providers(issuer: str, name: str) -> dict:
    """SOCIALACCOUNT_PROVIDERS as helpdesk.settings builds it from OIDC_*, for `issuer`."""
    app = {
        "provider_id": "sso",
        "name": name,
        "client_id": "helpdesk",
        "secret": "client-secret",
        "settings": {"server_url": issuer, "token_auth_method": "client_secret_post"},
    }
    return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [app]}}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso(settings, provider) -> str:
    settings.OIDC_ISSUER = provider
    settings.OIDC_ALLOWED_DOMAINS = []
    settings.OIDC_ROLE_CLAIM = ""
    settings.OIDC_ROLE_MAP = {}
    settings.OIDC_CREATE_AGENTS = False
    settings.SOCIALACCOUNT_PROVIDERS = providers(provider, "Example SSO")
    return provider


def _set_user(provider: str, sub: str, claims: dict) -> None:
    request = urllib.request.Request(  # noqa: S310 - the local provider's http URL
        f"{provider}/users/{urllib.parse.quote(sub)}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310  # nosec B310 - the local provider
        pass


def sign_in_through(provider: str, client: Client, sub: str, claims: dict):
    """The browser's part: start at the helpdesk, approve at the provider as `sub`, come back."""
    _set_user(provider, sub, claims)
    started = client.post(START)
    assert started.status_code == 302 and started["Location"].startswith(provider), started
    form = urllib.parse.urlencode({"sub": sub}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(started["Location"], data=form), timeout=5)  # noqa: S310  # nosec B310
        raise AssertionError("the provider did not redirect back")
    except urllib.error.HTTPError as redirect:
        back = redirect.headers["Location"]
    assert back.startswith("http://testserver/accounts/oidc/sso/login/callback/?")
    return client.get(back.removeprefix("http://testserver"))


def test_the_sign_in_page_offers_the_provider(client, sso):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example SSO" in page
    assert re.search(r'action="/accounts/oidc/sso/login/[^"]*"', page)


def test_an_agent_is_linked_by_a_verified_address_and_gets_the_role_of_the_claim(client, sso, agent, settings):
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"helpdesk-leads": "supervisor", "helpdesk-staff": "agent"}
    claims = {"email": agent.user.email, "email_verified": True, "groups": ["staff", "helpdesk-leads"]}

    answer = sign_in_through(sso, client, "agnes-at-idp", claims)

    assert answer.status_code == 302 and answer["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200
    assert SocialAccount.objects.get(uid="agnes-at-idp").user == agent.user
    agent.refresh_from_db()
    agent.user.refresh_from_db()
    assert agent.role == "supervisor" and agent.user.is_staff
    # The next sign-in finds the identity by its subject, even with another address.
    again = sign_in_through(sso, Client(), "agnes-at-idp", {**claims, "email": "agnes@elsewhere.example"})
    assert again["Location"] == "/agent/"


def test_an_unverified_address_does_not_take_over_an_agent(client, sso, agent):
    answer = sign_in_through(sso, client, "impostor", {"email": agent.user.email, "email_verified": False})

    assert answer.status_code == 403
    assert "not verified" in answer.content.decode()
    assert client.get("/agent/").status_code == 302
    assert not SocialAccount.objects.exists()


def test_an_unknown_address_is_refused_and_nothing_is_created(client, sso):
    users = get_user_model().objects.count()

    answer = sign_in_through(sso, client, "newcomer", {"email": "new@example.com", "email_verified": True})

    assert answer.status_code == 403 and "no agent with this address" in answer.content.decode()
    assert get_user_model().objects.count() == users and not Agent.objects.exists()


def test_with_creation_on_an_unknown_address_becomes_an_agent_of_the_claimed_role(client, sso, settings):
    settings.OIDC_CREATE_AGENTS = True
    settings.OIDC_ROLE_CLAIM = "role"
    settings.OIDC_ROLE_MAP = {"lead": "supervisor"}

    answer = sign_in_through(
        sso, client, "nina", {"email": "Nina@Example.com", "email_verified": True, "name": "Nina Novak", "role": "lead"}
    )

    assert answer["Location"] == "/agent/"
    agent = Agent.objects.get()
    assert (agent.name, agent.email, agent.role) == ("Nina Novak", "Nina@Example.com", "supervisor")
    assert not agent.user.has_usable_password()


def test_other_domains_are_refused(client, sso, settings):
    settings.OIDC_CREATE_AGENTS = True
    settings.OIDC_ALLOWED_DOMAINS = ["example.com"]
    AgentFactory(user__username="mallory", user__email="mallory@evil.example")

    answer = sign_in_through(sso, client, "mallory", {"email": "mallory@evil.example", "email_verified": True})

    assert answer.status_code == 403 and "this domain" in answer.content.decode()
    assert not SocialAccount.objects.exists()


def test_a_claim_that_maps_to_no_role_is_refused(client, sso, agent, settings):
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"helpdesk-staff": "agent"}

    answer = sign_in_through(sso, client, "agnes", {"email": agent.user.email, "email_verified": True, "groups": []})

    assert answer.status_code == 403 and "no role" in answer.content.decode()


def test_a_single_sign_on_session_counts_as_two_factor_for_required_roles(client, sso, supervisor, settings):
    settings.MFA_REQUIRED_ROLES = ["supervisor", "admin"]

    answer = sign_in_through(sso, client, "sue", {"email": supervisor.user.email, "email_verified": True})

    assert answer["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200  # not sent to set up an authenticator app


def test_calls_to_the_provider_go_through_the_guard(client, sso, settings, agent):
    settings.OUTGOING_URL_ALLOWLIST = []  # localhost is then a refused address

    answer = client.post(START)

    assert answer.status_code == 503 and "cannot be reached" in answer.content.decode()
    assert "refused by policy" not in answer.content.decode()
    assert client.get("/agent/").status_code == 302
