"""Single sign-on as an agent meets it in chromium (issue 20, point 3): the button on the
sign-in page, the identity provider's page (oidc-provider-mock on localhost), back in the
workspace; and a refusal that says why. Screenshots: docs/screenshots/sso-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from oidc_provider_mock import run_server_in_thread

from agents.tests.factories import AgentFactory
from agents.tests.test_sso import _set_user, providers

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture
def provider(settings):
    with run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        settings.OIDC_ISSUER = url
        settings.OIDC_ALLOWED_DOMAINS = ["example.com"]
        settings.OIDC_CREATE_AGENTS = False
        settings.SOCIALACCOUNT_PROVIDERS = providers(url, "Example Corp")
        # The sign-in button's form redirects to the provider: the page's policy allows it.
        policy = {key: list(value) for key, value in settings.CONTENT_SECURITY_POLICY.items()}
        policy["form-action"].append(url)
        settings.CONTENT_SECURITY_POLICY = policy
        yield url


def approve(page, sub: str) -> None:
    """The provider's authorization page: sign in as `sub` and authorize."""
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


@pytest.mark.parametrize("width", [1280, 375])
def test_an_agent_signs_in_through_the_identity_provider(new_page, provider, width):
    AgentFactory(user__username="agnes", name="Agnes Agent", user__email="agnes@example.com")
    _set_user(provider, "agnes", {"email": "agnes@example.com", "email_verified": True})
    page = new_page(width)

    page.goto("/accounts/login/")
    assert page.get_by_role("heading", name="Or use your organisation's account").is_visible()
    page.screenshot(path=str(SHOTS / f"sso-sign-in-{width}.png"), full_page=True)
    page.get_by_role("button", name="Sign in with Example Corp").click()
    page.wait_for_url(f"{provider}/**")
    approve(page, "agnes")
    page.wait_for_url("**/agent/")
    assert page.get_by_role("button", name="Sign out agnes").is_visible()


@pytest.mark.parametrize("width", [1280, 375])
def test_a_refused_address_is_told_why(new_page, provider, width):
    _set_user(provider, "mallory", {"email": "mallory@evil.example", "email_verified": True})
    page = new_page(width)

    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with Example Corp").click()
    page.wait_for_url(f"{provider}/**")
    approve(page, "mallory")
    page.wait_for_url("**/accounts/oidc/sso/login/callback/**")
    assert page.get_by_role("heading", name="You cannot sign in this way").is_visible()
    assert page.get_by_text("Addresses of this domain cannot sign in").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"sso-refused-{width}.png"), full_page=True)
