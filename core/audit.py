"""The audit log of configuration changes: who changed what, when, through what, before and
after (django-auditlog's LogEntry; the models are registered by helpdesk.audit).

AuditMiddleware is django-auditlog's with three differences:
- the client address is the one every limit counts (core.ratelimit.client_ip, honouring
  TRUSTED_PROXY_COUNT), not the left-most X-Forwarded-For a client can write itself;
- the actor is read when an entry is written, not when the request starts, so an API caller
  authenticated by token (inside DRF's view) is named too;
- each entry says through what the change came: "admin" (Django admin), "api" (the REST
  API) or "page" (the agent workspace); manage.py adds "command <name>" (helpdesk.audit);
- a read (GET, HEAD, OPTIONS) changes no configuration and passes straight through: the
  context costs a signal connection and disconnection, which also empties Django's receiver
  cache for every save of the request, and reads are most of the traffic.
"""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.ratelimit import client_ip

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def channel_of(path: str) -> str:
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "page"


class AuditMiddleware(AuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request) or None

    @staticmethod
    def _get_actor(request: HttpRequest):
        def actor():
            user = getattr(request, "user", None)
            return user if isinstance(user, get_user_model()) and user.is_authenticated else None

        return SimpleLazyObject(actor)

    def __call__(self, request: HttpRequest):
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        return super().__call__(request)

    def get_extra_data(self, request: HttpRequest) -> dict:
        data = super().get_extra_data(request)
        data["additional_data"] = {"via": channel_of(request.path)}
        return data
