"""Two-factor sign-in as a supervisor meets it in chromium (issue 20, point 2): sent from the
sign-in form to set up an authenticator app, the QR code and the secret, the recovery codes,
then the code asked after the password next time. Screenshots go to docs/screenshots/
(two-factor-setup-*.png, two-factor-codes-*.png, two-factor-sign-in-*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents.tests.factories import AgentFactory
from agents.tests.test_mfa import totp

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the side


@pytest.mark.parametrize("width", [1280, 375])
def test_a_supervisor_sets_up_an_app_and_then_signs_in_with_its_code(new_page, settings, width):
    settings.MFA_REQUIRED_ROLES = ["supervisor", "admin"]
    AgentFactory(user__username="sue", name="Sue Supervisor", role="supervisor")
    page = new_page(width)

    sign_in(page, "sue")
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.get_by_text("Set up an authenticator app to continue").is_visible()
    assert page.get_by_role("img").first.is_visible()  # the QR code
    secret = page.get_by_label("Key, for typing into the app by hand").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"two-factor-setup-{width}.png"), full_page=True)

    page.get_by_label("Six-digit code from the app").fill(totp(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    codes = page.get_by_label("Unused codes").input_value()
    assert len(re.findall(r"\b[0-9a-f]{8}\b", codes)) == 10
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"two-factor-codes-{width}.png"), full_page=True)
    page.goto("/agent/")
    assert page.get_by_role("link", name="Queue").is_visible()

    # Next time the password alone is not enough.
    page.get_by_role("button", name="Sign out sue").click()
    sign_in(page, "sue")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"two-factor-sign-in-{width}.png"), full_page=True)
    page.get_by_label("Code").fill(totp(secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/agent/")
