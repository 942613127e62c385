"""A locked sign-in as a person meets it in chromium (issue 20, point 1): after the allowed
failures the page says the sign-in is locked and for how long, and the right password waits.
The screenshots go to docs/screenshots/ (sign-in-locked-1280.png, -375.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.mark.parametrize("width", [1280, 375])
def test_a_locked_sign_in_says_so_and_when_to_come_back(new_page, settings, width):
    settings.LOGIN_RATE = "3/15m"
    AgentFactory(user__username="chen", name="Chen Li")
    page = new_page(width)

    for _ in range(3):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("chen")
        page.get_by_label("Password").fill("not-my-password")
        page.get_by_role("button", name="Sign in").click()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("chen")
    page.get_by_label("Password").fill("password")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()

    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 800
    assert page.get_by_role("heading", name="Sign-in locked for now").is_visible()
    assert "try again in about 15 minutes" in " ".join(page.locator("main").inner_text().split())
    assert page.get_by_role("link", name="set a new one").is_visible()
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width  # nothing runs off the side at 375 px
    page.screenshot(path=str(SHOTS / f"sign-in-locked-{width}.png"), full_page=True)
