"""The client address that anonymous-endpoint rate limits count against.

Behind a reverse proxy every request comes from the proxy; with TRUSTED_PROXY_COUNT set to
the number of proxies in front, the client is the address that many entries from the right
of X-Forwarded-For (the part the proxies themselves appended, so a client cannot forge it).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
