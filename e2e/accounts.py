"""Signing in through the real sign-in page, as the browser tests' agents do."""

from __future__ import annotations


def sign_in(page, username: str) -> None:
    """Sign `username` in (the factories' password) and wait for the agent workspace."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/agent/**")
