"""A database that stops answering mid-request gets a clean 503, not a 500 and a traceback.

A dropped connection (a restarted or failed-over server, a killed backend, a full pool) is
a passing condition: the answer says so with `503 Service Unavailable` and `Retry-After`,
JSON for the API and a plain page for people. Django discards the broken connection when
the request finishes (`close_old_connections`), so the next request starts on a fresh one.

Two paths lead here: an error raised by a view reaches `DatabaseUnavailableMiddleware`;
one raised inside another middleware (the session or the signed-in agent is read there)
has already been turned into a 500 by Django, whose handler, `server_error`, looks at the
exception being handled.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.views import server_error as page

logger = logging.getLogger(__name__)

# Errors of the connection, not of the query: a bad query (ProgrammingError, IntegrityError)
# stays a bug and a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# Long enough for a pool to reconnect or a failover to finish, short enough to feel live.
RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After; rendered without the database (no context processors, no user)."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": _("The service is briefly unavailable; try again in a few seconds.")}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning(
            "database unavailable during %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).strip(),
        )
        return database_unavailable(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 when the error being handled is the database's connection, else 500."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return page(request)
