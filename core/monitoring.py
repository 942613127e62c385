"""Who may read the helpdesk's internals: the Prometheus figures at /metrics and the details
of /api/health.

A monitoring system proves itself with `Authorization: Bearer <METRICS_TOKEN>`, or by calling
from an address in METRICS_ALLOWED_IPS (addresses or networks, comma-separated; the client
address as every limit reads it, TRUSTED_PROXY_COUNT included). With neither set nobody
outside reads /metrics: figures of queues, errors and traffic help an attacker more than a
customer. /api/health answers everyone its overall status (a load balancer needs no more) and
the per-check details only to such a caller or to a signed-in staff user.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from core.ratelimit import client_ip

logger = logging.getLogger(__name__)


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    value = settings.METRICS_ALLOWED_IPS
    entries = value.split(",") if isinstance(value, str) else value
    networks = []
    for entry in entries:
        entry = entry.strip()
        if entry:
            networks.append(ipaddress.ip_network(entry, strict=False))
    return networks


def is_monitoring(request: HttpRequest) -> bool:
    """The caller holds METRICS_TOKEN or calls from METRICS_ALLOWED_IPS."""
    token = settings.METRICS_TOKEN
    if token and constant_time_compare(_bearer(request), token):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _allowed_networks())


def may_see_details(request: HttpRequest) -> bool:
    """A monitoring caller, or a signed-in staff user (when the session can be read: during
    a database outage it cannot, and the caller is then treated as anonymous)."""
    if is_monitoring(request):
        return True
    try:
        return bool(request.user.is_authenticated and request.user.is_staff)
    except Exception:  # the session or user tables are unreachable: what /api/health reports
        logger.warning("health: the caller's session could not be read", exc_info=True)
        return False


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """django-prometheus's /metrics, for monitoring callers only (403 for anyone else)."""
    if not is_monitoring(request):
        response = HttpResponse("Forbidden: /metrics needs METRICS_TOKEN or an allowed address.\n", status=403)
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return ExportToDjangoView(request)
