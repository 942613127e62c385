"""CSRF on every form (issue 20, point 9): every POST form in a template carries the token,
the middleware is on, and the only views exempt from Django's check are the ones that
authenticate every request otherwise and are listed here with the reason."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from conftest import BASE_DIR

_FORM = re.compile(r"<form\b(?P<attributes>[^>]*)>(?P<body>.*?)</form>", re.IGNORECASE | re.DOTALL)
_POST = re.compile(r"""method\s*=\s*["']?post""", re.IGNORECASE)

# Exempt from Django's CSRF check, and why that is safe: no cookie authenticates them.
EXEMPT_VIEW_MODULES = {
    # Providers' inbound-mail webhooks: basic auth and each provider's signature (mail/).
    "anymail.webhooks",
    "mail.webhook_urls",
}


def _templates() -> list[Path]:
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(path for root in roots for path in root.rglob("*.html"))


def test_every_post_form_in_every_template_carries_the_csrf_token():
    missing = []
    forms = 0
    for path in _templates():
        for form in _FORM.finditer(path.read_text()):
            if _POST.search(form.group("attributes")):
                forms += 1
                if "{% csrf_token %}" not in form.group("body"):
                    missing.append(f"{path.relative_to(BASE_DIR)}: <form{form.group('attributes')}>")
    assert forms >= 15, f"only {forms} POST forms found: is the template folder right?"
    assert not missing, "POST forms without {% csrf_token %}:\n" + "\n".join(missing)


def test_the_csrf_middleware_is_on_and_refuses_a_post_without_the_token(db):
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    client = Client(enforce_csrf_checks=True)

    refused = client.post("/portal/tickets/lookup", {"email": "someone@example.org"})

    assert refused.status_code == 403


def _views(patterns=None):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry


def test_only_listed_views_are_exempt_from_csrf():
    """DRF views are exempt from Django's middleware and enforce CSRF themselves for session
    callers (SessionAuthentication); anything else must be on EXEMPT_VIEW_MODULES."""
    unexpected, listed = [], 0
    for pattern in _views():
        callback = pattern.callback
        if not getattr(callback, "csrf_exempt", False):
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is not None and issubclass(view_class, APIView):
            continue
        module = getattr(view_class or callback, "__module__", "")
        if any(module == allowed or module.startswith(allowed + ".") for allowed in EXEMPT_VIEW_MODULES):
            listed += 1
        else:
            unexpected.append(f"{pattern.pattern} -> {module}.{getattr(view_class or callback, '__name__', '?')}")
    assert listed >= 1  # the webhooks are seen: the walk reaches them
    assert not unexpected, "views exempt from CSRF, not on EXEMPT_VIEW_MODULES:\n" + "\n".join(unexpected)
