"""Shared pieces of the REST API: pagination and the router."""

from __future__ import annotations

from django.conf import settings
from django_ratelimit.exceptions import Ratelimited
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # read at request time so tests can override it
        return settings.API_MAX_PAGE_SIZE


class Router(DefaultRouter):
    """Routes that answer both with and without a trailing slash (`/tickets`, `/tickets/`)."""

    include_root_view = False

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = Router()


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus the domain's refusals as 403/409 with a sentence saying why.

    An illegal status change answers 409 with the statuses the ticket may move to.
    """
    from tickets.assignment import AssignmentError
    from tickets.services import RatingRefused, TicketClosed
    from tickets.state_machine import IllegalTransition

    if isinstance(exc, IllegalTransition):
        return Response(
            {"detail": str(exc), "status": exc.current, "allowed_statuses": exc.allowed},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, AssignmentError | TicketClosed | RatingRefused):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PermissionError):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Ratelimited):
        response = Response({"detail": "Too many requests; try again later."}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        response["Retry-After"] = "3600"
        return response
    return drf_exception_handler(exc, context)
