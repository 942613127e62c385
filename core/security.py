"""Content-Security-Policy on every response (Django 5.2 has none built in).

Pages get CONTENT_SECURITY_POLICY: scripts, styles, images, fonts and requests only from
this origin, no inline scripts or styles, no plugins, forms posting only here, and no
framing (`frame-ancestors 'none'`, with X-Frame-Options: DENY for older browsers). htmx,
workspace.js and Swagger UI are static files of this origin, so they run under it, with no
exception for any view: the docs page is drf-spectacular's split view (its start-up script
is a file) with its small inline style moved to static/css/swagger.css.

Anything that is not HTML (API answers, the schema, files) gets CONTENT_SECURITY_POLICY_OTHER,
which allows nothing at all: should such a response ever be rendered as a document, no
script or style in it runs.

In DEBUG, Django's own error pages (inline styles and scripts) are left without a policy so
that they still render.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy_text(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]).strip() for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER in response:
            return response
        is_html = response.get("Content-Type", "").startswith("text/html")
        if settings.DEBUG and is_html and response.status_code >= 400:
            return response  # Django's technical error pages
        if not is_html:
            response[HEADER] = policy_text(settings.CONTENT_SECURITY_POLICY_OTHER)
            return response
        response[HEADER] = policy_text(settings.CONTENT_SECURITY_POLICY)
        return response
