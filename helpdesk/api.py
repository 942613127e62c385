"""Shared pieces of the REST API: pagination, the router, errors, period parameters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
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
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django's refusals of a body it read (e.g. the form fields of an upload).
        from helpdesk.limits import bad_request

        answer = bad_request(context["request"]._request, exc)
        return Response(json.loads(answer.content), status=answer.status_code)
    if isinstance(exc, Ratelimited):
        seconds = getattr(exc, "retry_after", None) or 60
        response = Response(
            {"detail": f"Too many requests; try again in {seconds} seconds."},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(seconds)
        return response
    return drf_exception_handler(exc, context)


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-11-01"})
class DateOrDateTimeField(serializers.Field):
    """An ISO date (midnight UTC) or date-time."""

    default_error_messages = {"invalid": "Use an ISO date (2026-11-01) or date-time (2026-11-01T08:00:00Z)."}

    def to_internal_value(self, value) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            moment = parse_datetime(value)
            if moment is None:
                day = parse_date(value)
                if day is None:
                    self.fail("invalid")
                moment = datetime.combine(day, time.min)
        except ValueError:
            self.fail("invalid")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


# The largest id a client may name: larger numbers are refused as input errors instead of
# overflowing the database's integer types.
MAX_ID = 2**31 - 1


@extend_schema_field({"type": "string", "description": "A ticket category's slug, e.g. billing"})
class CategorySlugField(serializers.SlugRelatedField):
    """A ticket category named by its slug (imported late: this module loads with the URLs)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        from tickets.models import Category

        return Category.objects.all()


class PeriodQuerySerializer(serializers.Serializer):
    """`start` and `end` of a report (default: the last 30 days), an `agent` and a `category`."""

    start = DateOrDateTimeField(required=False, help_text="From (default: 30 days before the end)")
    end = DateOrDateTimeField(required=False, help_text="Before (default: now)")
    agent = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    category = CategorySlugField(required=False)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("end", timezone.now())
        try:
            attrs.setdefault("start", attrs["end"] - timedelta(days=30))
        except OverflowError:
            raise serializers.ValidationError({"end": ["This date is too early."]}) from None
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": ["The end must come after the start."]})
        return attrs
