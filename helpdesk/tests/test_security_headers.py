"""Security headers on pages, on API answers and in production settings; templates that
need no 'unsafe-inline'."""

from __future__ import annotations

import json
import re

import pytest

from conftest import BASE_DIR, production_env, run_python

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


def assert_common_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/portal/tickets/new", "/accounts/login/", "/kb/", "/no/such/page"])
def test_pages_carry_a_policy_without_inline_scripts_or_styles(client, category, path):
    response = client.get(path)

    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert_common_headers(response)


def test_the_agent_workspace_carries_the_policy(client, agent):
    client.force_login(agent.user)

    response = client.get("/agent/")

    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    assert_common_headers(response)


def test_api_answers_may_load_nothing(agent_api):
    response = agent_api.get("/api/support/tickets")

    assert response.status_code == 200
    assert directives(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
    assert_common_headers(response)


def test_api_errors_carry_the_headers_too(anonymous_api):
    response = anonymous_api.get("/api/support/tickets")

    assert response.status_code == 401
    assert directives(response)["default-src"] == ["'none'"]
    assert_common_headers(response)


def test_the_api_docs_page_has_no_inline_script_or_style(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    start = re.search(r'<script src="(/api/docs/\?script=[^"]*)"', html)
    assert start, html
    script = client.get(start.group(1))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "inline <style>"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "on* event handler"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def test_no_template_relies_on_inline_script_or_style():
    """Email templates are read by mail clients, never under our policy; every other one is."""
    offences = []
    for template in sorted((BASE_DIR / "templates").rglob("*.html")):
        if "email" in template.parts:
            continue
        text = template.read_text()
        offences += [f"{template.relative_to(BASE_DIR)}: {what}" for pattern, what in INLINE if pattern.search(text)]

    assert offences == []


def test_the_inline_pattern_would_catch_an_offence():
    text = '<button onclick="go()">Go</button><script>go()</script><div style="color: red">'
    found = {what for pattern, what in INLINE if pattern.search(text)}

    assert found == {"on* event handler", "inline <script>", "style attribute"}


PRODUCTION_HEADERS = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/api/health", secure=True)
insecure = Client().get("/api/support/tickets")
print(json.dumps({
    "hsts": response.get("Strict-Transport-Security"),
    "csp": response.get("Content-Security-Policy"),
    "nosniff": response.get("X-Content-Type-Options"),
    "frames": response.get("X-Frame-Options"),
    "referrer": response.get("Referrer-Policy"),
    "redirect": [insecure.status_code, insecure.get("Location")],
    "cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
}))
"""


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    result = run_python(PRODUCTION_HEADERS, production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["hsts"] == "max-age=31536000; includeSubDomains"
    assert seen["csp"] == "default-src 'none'; frame-ancestors 'none'"
    assert (seen["nosniff"], seen["frames"], seen["referrer"]) == ("nosniff", "DENY", "same-origin")
    assert seen["redirect"] == [301, "https://testserver/api/support/tickets"]
    assert seen["cookies"] == [True, True, True]
