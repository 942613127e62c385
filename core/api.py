"""Shared pieces of the REST API: pagination, the router, errors, period parameters."""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Func, Value
from django.db.models.lookups import GreaterThan
from django.http import Http404
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.limits import bad_request
from core.refusals import Refusal


class _ShallowlyCopied(dict):
    def __deepcopy__(self, memo) -> _ShallowlyCopied:
        copied = _ShallowlyCopied()
        for name, declared in self.items():
            copied[name] = filter_ = copy.copy(declared)
            if getattr(declared, "_method", None):
                filter_.method = declared._method  # a FilterMethod bound to the copy
        return copied


class ReusedFormFilterSet(django_filters.FilterSet):
    """A FilterSet that does not rebuild per request what never changes.

    django-filter deep-copies every declared filter and builds a new form class for each
    request (a quarter of the ticket list's filtering time). Here the form class is built
    once per FilterSet class (Django copies its fields into every form anyway) and the
    filters are copied shallowly: each copy gets its own model and parent, and a method
    filter its own FilterMethod. Only for filters whose fields do not depend on the request
    (no callable querysets).
    """

    @classmethod
    def get_filters(cls):
        return _ShallowlyCopied(super().get_filters())

    def get_form_class(self):
        form_class = type(self).__dict__.get("_reused_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._reused_form_class = form_class
        return form_class


class _SharedQuerysetField(django_filters.fields.ModelChoiceField):
    """django-filter's ModelChoiceField whose per-form copy shares the declared queryset.

    Django's copy clones the queryset for every form (bug #11183: each copy needs its own
    choices iterator); that clone was 11 % of the ticket list's CPU. The queryset is only
    ever read through new querysets (`.get()` to clean a value, `.iterator()` for choices),
    never evaluated in place, so one instance serves every copy; each copy still gets its
    own iterator."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result.widget.choices = result.choices
        return result


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A ModelChoiceFilter for a fixed queryset (not a callable of the request), cheap to
    copy into each request's form."""

    field_class = _SharedQuerysetField


# The largest id a client may name: larger numbers are refused as input errors instead of
# overflowing the database's integer types.
MAX_ID = 2**31 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IntegerFilter(django_filters.NumberFilter):
    """A whole number in the query string, documented as one (a number filter is `type:
    number`, which a generated client types as a float)."""

    field_class = forms.IntegerField


class IdFilter(IntegerFilter):
    """An object's id in the query string: a whole number from 1 to MAX_ID."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class Pagination(PageNumberPagination):
    """Page-number pagination that never counts a million rows.

    A page is read with one row more than it shows, which says whether there is a next page.
    `count` is exact up to API_COUNT_LIMIT matching rows (counted with a LIMIT, so counting
    costs at most that many index entries); past it, `count` is the limit and `count_exact`
    is false. Pages reach no deeper than API_MAX_OFFSET rows: beyond, narrow the filters.
    A short last page (the whole list, often) is counted without any extra query.
    """

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # read at request time so tests can override it
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        raw = request.query_params.get(self.page_query_param, 1)
        try:
            number = int(raw)
            if number < 1:
                raise ValueError
        except (TypeError, ValueError):
            raise NotFound(
                self.invalid_page_message.format(page_number=raw, message=_("That page number is not an integer."))
            ) from None
        offset = (number - 1) * page_size
        if offset + page_size > settings.API_MAX_OFFSET:
            limit = settings.API_MAX_OFFSET
            message = ngettext(
                "Only the first %(count)d result can be paged through; narrow the filters.",
                "Only the first %(count)d results can be paged through; narrow the filters.",
                limit,
            )
            raise serializers.ValidationError({self.page_query_param: [message % {"count": limit}]})
        rows = list(queryset[offset : offset + page_size + 1])
        self.number, self.page_size, self.has_next = number, page_size, len(rows) > page_size
        rows = rows[:page_size]
        if not rows and number > 1:
            raise NotFound(
                self.invalid_page_message.format(page_number=number, message=_("That page contains no results."))
            )
        if not self.has_next and len(rows) < page_size:  # a short last page: its rows tell the count
            self.count, self.count_exact = offset + len(rows), True
        else:
            limit = settings.API_COUNT_LIMIT
            if hasattr(queryset, "order_by"):  # rows only: no ranking, ordering or annotations to compute
                counted = queryset.order_by().values("pk")[: limit + 1].count()
            else:
                counted = len(queryset)
            self.count, self.count_exact = min(counted, limit), counted <= limit
        return rows

    def _link(self, number: int | None) -> str | None:
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_next_link(self) -> str | None:
        return self._link(self.number + 1 if self.has_next else None)

    def get_previous_link(self) -> str | None:
        return self._link(self.number - 1 if self.number > 1 else None)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count"]["description"] = (
            "Matching rows, exact up to a limit (count_exact false beyond it)"
        )
        described["properties"]["count_exact"] = {"type": "boolean"}
        described["required"] = [*described.get("required", []), "count_exact"]
        return described


def _page_mode(description: str | None) -> str:
    return "Page mode only" + (f": {description[0].lower()}{description[1:]}" if description else "")


class SyncPagination(Pagination):
    """Page numbers by default (Pagination); a cursor over (updated_at, id) for incremental sync.

    A request naming `cursor` (empty for the first page), `updated_after` or `updated_before`
    is answered in cursor mode (docs/api.md, "Incremental sync"):

    1. The rows match the view's filters and visibility as in page mode, and also
       `updated_after <= updated_at < updated_before`, ordered by (updated_at, id) ascending.
    2. Rows changed in the last API_SYNC_SETTLE_SECONDS are left for a later page: a row's
       updated_at is written before its transaction commits, so a row stamped earlier than
       one already read may still become visible; by then the cursor must not have passed it.
    3. A cursor is the (updated_at, id) of the last row a page showed; the next page starts
       strictly after it. It is opaque to clients (base64 of a versioned text), read back
       with every part checked: anything else is a 400 naming `cursor`.
    4. The answer is `next` (the URL of the following page, null when no row follows yet),
       `cursor` (where to resume later, e.g. tomorrow night) and `results`. No counts.

    A row changed after the cursor passed it moves to the end of the order and is read again;
    a row is never skipped. Page numbers and `ordering` do not combine with a cursor (400).
    """

    cursor_query_param = "cursor"
    SYNC_PARAMETERS = ("cursor", "updated_after", "updated_before")
    CURSOR_VERSION = "1"

    def is_cursor_mode(self, request) -> bool:
        return any(name in request.query_params for name in self.SYNC_PARAMETERS)

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor_mode = self.is_cursor_mode(request)
        if not self.cursor_mode:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        for refused in (self.page_query_param, "ordering"):
            if refused in request.query_params:
                message = _("A cursor walks in (updated_at, id) order; %(name)s cannot be combined with it.")
                raise serializers.ValidationError({refused: [message % {"name": refused}]})
        page_size = self.get_page_size(request)
        position = decode_cursor(request.query_params.get(self.cursor_query_param, ""))
        bounds = sync_bounds(request.query_params)
        settled = timezone.now() - timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
        rows = queryset.filter(updated_at__lt=settled)
        if "updated_after" in bounds:
            rows = rows.filter(updated_at__gte=bounds["updated_after"])
        if "updated_before" in bounds:
            rows = rows.filter(updated_at__lt=bounds["updated_before"])
        if position is not None:
            # (updated_at, id) > position as a row comparison, which an index on (updated_at,
            # id) seeks to directly. Said as `updated_at > t OR (updated_at = t AND id > n)`
            # the scan starts at the first row of time t: every message older than their
            # column shares one updated_at (tickets 0032), and a walk deep into them read
            # every entry before the cursor on every page.
            updated_at, pk = position
            rows = rows.filter(GreaterThan(Row(F("updated_at"), F("pk")), Row(Value(updated_at), Value(pk))))
        page = list(rows.order_by("updated_at", "pk")[: page_size + 1])
        self.has_next = len(page) > page_size
        page = page[:page_size]
        if page:
            self.cursor = encode_cursor(page[-1].updated_at, page[-1].pk)
        else:
            self.cursor = request.query_params.get(self.cursor_query_param) or None
        return page

    def get_next_link(self) -> str | None:
        if not self.cursor_mode:
            return super().get_next_link()
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.cursor)

    def get_paginated_response(self, data) -> Response:
        if not self.cursor_mode:
            return super().get_paginated_response(data)
        return Response({"next": self.get_next_link(), "cursor": self.cursor, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """One shape for both modes, its mode's fields optional: a client generated from the
        document reads either answer with one model (a `oneOf` of two inline shapes is what
        generators handle worst)."""
        page = super().get_paginated_response_schema(schema)
        properties = page["properties"]
        for name in ("count", "count_exact", "previous"):
            properties[name] = {**properties[name], "description": _page_mode(properties[name].get("description"))}
        properties["cursor"] = {
            "type": "string",
            "nullable": True,
            "description": (
                "Cursor mode only: where to resume later (pass it as `cursor`); null before any row was read"
            ),
        }
        properties["next"] = {
            **properties["next"],
            "description": "The following page, or null when none follows (yet)",
        }
        return {**page, "required": ["next", "results"]}

    def get_schema_operation_parameters(self, view) -> list[dict]:
        described = super().get_schema_operation_parameters(view)
        return [
            *described,
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "Cursor mode: empty for the first page, then the `cursor` of the previous "
                "answer (or follow `next`). Rows in (updated_at, id) order",
                "schema": {"type": "string"},
            },
            {
                "name": "updated_after",
                "required": False,
                "in": "query",
                "description": "Cursor mode: rows changed at or after this ISO date-time",
                "schema": {"type": "string", "format": "date-time"},
            },
            {
                "name": "updated_before",
                "required": False,
                "in": "query",
                "description": "Cursor mode: rows changed before this ISO date-time",
                "schema": {"type": "string", "format": "date-time"},
            },
        ]


class Row(Func):
    """A row value, `ROW(a, b)`: compared with another, column by column (PostgreSQL)."""

    function = "ROW"
    output_field = DateTimeField()  # of the first column; a row has no field type of its own


def encode_cursor(updated_at: datetime, pk: int) -> str:
    """The opaque cursor of a row: base64 (URL alphabet, unpadded) of `1|<ISO time>|<id>`."""
    text = f"{SyncPagination.CURSOR_VERSION}|{updated_at.astimezone(UTC).isoformat()}|{pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (updated_at, id) a cursor names, None for an empty one; a 400 naming `cursor` for
    anything encode_cursor did not write."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, moment, pk = text.split("|")
        updated_at = datetime.fromisoformat(moment)
        number = int(pk)
        if version != SyncPagination.CURSOR_VERSION or updated_at.tzinfo is None or not 1 <= number <= MAX_ID:
            raise ValueError
        return updated_at.astimezone(UTC), number
    except (binascii.Error, UnicodeError, ValueError, OverflowError):
        raise serializers.ValidationError(
            {"cursor": [_("Not a cursor this API gave; start again with an empty cursor or updated_after.")]}
        ) from None


def sync_bounds(params) -> dict[str, datetime]:
    """`updated_after` and `updated_before` read as DateOrDateTimeField reads them (400 naming each)."""
    bounds, errors = {}, {}
    for name in ("updated_after", "updated_before"):
        value = params.get(name)
        if value is None:
            continue
        try:
            bounds[name] = DateOrDateTimeField().run_validation(value)
        except serializers.ValidationError as error:
            errors[name] = error.detail
    if errors:
        raise serializers.ValidationError(errors)
    return bounds


class Router(DefaultRouter):
    """Routes that answer both with and without a trailing slash (`/tickets`, `/tickets/`)."""

    include_root_view = False
    # No `.json` suffix routes: the API speaks JSON only, and DRF passes the suffix to
    # @action methods as a `format` argument they do not take (a 500 on `/messages.json`).
    include_format_suffixes = False

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = Router()


# Unique and foreign-key violations: what two requests racing for one name or row meet.
RACED = frozenset({"23505", "23503"})


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus the domain's refusals as 403/409 with a sentence saying why.

    A domain refusal (core.refusals.Refusal: an illegal status change, a closed ticket, …)
    answers its own status code and payload, e.g. the statuses a ticket may move to.
    """
    if isinstance(exc, Refusal):
        return Response(exc.payload(), status=exc.status_code)
    if isinstance(exc, IntegrityError) and getattr(exc.__cause__, "sqlstate", None) in RACED:
        # Validation found the name free (or the row there), and a request running at the
        # same moment took it (or deleted it) before this one wrote: the caller's retry reads
        # the world as it is now.
        set_rollback()
        message = _("Another change was saved at the same moment and conflicts with this one; read again and retry.")
        return Response({"detail": message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PermissionError):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django's refusals of a body it read (e.g. the form fields of an upload).
        answer = bad_request(context["request"]._request, exc)
        return Response(json.loads(answer.content), status=answer.status_code)
    if isinstance(exc, Ratelimited):
        seconds = getattr(exc, "retry_after", None) or 60
        message = ngettext(
            "Too many requests; try again in %(seconds)d second.",
            "Too many requests; try again in %(seconds)d seconds.",
            seconds,
        )
        response = Response({"detail": message % {"seconds": seconds}}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        response["Retry-After"] = str(seconds)
        return response
    return drf_exception_handler(exc, context)


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-11-01"})
class DateOrDateTimeField(serializers.Field):
    """An ISO date (midnight UTC) or date-time."""

    default_error_messages = {
        "invalid": gettext_lazy("Use an ISO date (2026-11-01) or date-time (2026-11-01T08:00:00Z).")
    }

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
        return in_utc(moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC), self)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def in_utc(moment: datetime, field: serializers.Field) -> datetime:
    """The moment in UTC. PostgreSQL refuses UTC offsets beyond ±15:59 that Python accepts
    (2026-11-01T08:00-19:44), and a moment at the edge of year 1 has no UTC equivalent."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        field.fail("invalid")


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """django-filter's ISO date-time filter, answering in UTC (see in_utc)."""

    field_class = UtcIsoDateTimeField


class StrictNullBooleanField(forms.NullBooleanField):
    """`true` / `false` (also `1` / `0`, any case) or nothing: another value is an input
    error naming the parameter, not a filter silently left out (Django's field reads
    `maybe` as "not given")."""

    widget = forms.TextInput
    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(_("Must be true or false."), code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """django-filter's boolean filter, refusing a value other than true or false (400)."""

    field_class = StrictNullBooleanField


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, with a NUL character refused as invalid: PostgreSQL cannot compare text with one."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def cached_report(request, name: str, scope: dict, compute: Callable[[], dict]) -> Response:
    """A report's answer (`compute()`, serialized data) for `scope`, computed at most once per
    REPORT_CACHE_SECONDS: the same report asked again within that time, by anyone who may
    read it, is the cached answer. Every answer carries `generated_at`, when its figures
    were computed. Reports are not per caller: whoever may read one reads all of it.

    A period left to its defaults (PeriodQuerySerializer: up to now) is the same report
    whenever it is asked: its answer is the period up to `generated_at`."""
    seconds = settings.REPORT_CACHE_SECONDS
    scope = {**scope, **{bound: "default" for bound in ("start", "end") if bound not in request.query_params}}
    described = json.dumps([name, scope, timezone.get_current_timezone_name()], sort_keys=True, default=str)
    key = "report:v1:" + hashlib.sha256(described.encode()).hexdigest()  # v1: (generated, data)
    now = timezone.now()
    # The age is read off the answer's own time (the cache's expiry only clears it away), so
    # every process agrees on it whatever the cache server's clock says.
    cached = cache.get(key) if seconds > 0 else None
    hit = cached is not None and timedelta(0) <= now - cached[0] < timedelta(seconds=seconds)
    if hit:
        generated, data = cached
    else:
        generated = now
        data = {**compute(), "generated_at": serializers.DateTimeField().to_representation(generated)}
        if seconds > 0:
            cache.set(key, (generated, data), timeout=seconds)
    response = Response(data)
    remaining = max(0, seconds - int((now - generated).total_seconds()))
    response["Cache-Control"] = f"private, max-age={remaining}"
    response["X-Cache"] = "hit" if hit else "miss"
    return response


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = gettext_lazy(
        "The resource has changed since you read it: If-Match does not match its current ETag. "
        "Read it again, then repeat the change."
    )


# The representation an ETag hashes is rendered in one language and time zone, so that a tag
# does not depend on the caller's Accept-Language (choice labels, messages) or time zone.
ETAG_LANGUAGE = "en"
ETAG_TIME_ZONE = UTC


def etag_of(representation) -> str:
    """A strong ETag: the hash of the representation as JSON."""
    rendered = json.dumps(representation, cls=JSONEncoder, sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(rendered.encode()).hexdigest()[:32] + '"'


def _in_etag_locale() -> bool:
    return translation.get_language() == ETAG_LANGUAGE and timezone.get_current_timezone_name() == "UTC"


CONDITIONAL_METHODS = ("PATCH", "PUT")


class ConditionalUpdates:
    """ETags on a viewset's single resources, and If-Match on its PATCH and PUT.

    1. The detail GET, and the answer of a PATCH or PUT, carry `ETag`: etag_of the resource
       as the detail GET renders it (`retrieve`), rendered in ETAG_LANGUAGE and UTC.
    2. A PATCH or PUT with `If-Match` runs in one transaction: the resource's row is locked
       (SELECT … FOR UPDATE) before its current ETag is computed, so no other change can come
       between the check and the write. A tag that does not match answers 412 and writes
       nothing; `*` matches any existing resource. An answer that is not 2xx rolls back.
    3. Without If-Match a PATCH or PUT is as before.

    Mix it in before DRF's viewset classes; a viewset whose detail GET is not `retrieve`
    overrides `etag_representation`. helpdesk/tests/test_api_concurrency.py walks every PATCH
    and PUT of the router and fails for one that does not honour If-Match.
    """

    def _conditional(self, request) -> bool:
        return request.method in CONDITIONAL_METHODS and "HTTP_IF_MATCH" in request.META

    def dispatch(self, request, *args, **kwargs):
        if not self._conditional(request):
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
            return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated, allowed and not throttled
        if self._conditional(request):
            wanted = parse_etags(request.META["HTTP_IF_MATCH"])
            resource = self.get_object()  # 404 for one the caller may not see
            type(resource)._base_manager.select_for_update().filter(pk=resource.pk).values_list("pk").get()
            if "*" not in wanted and self.current_etag() not in wanted:
                raise PreconditionFailed()

    def etag_representation(self) -> dict:
        """The resource as the detail GET renders it for this caller."""
        action = self.action
        self.action = "retrieve"
        try:
            return self.retrieve(self.request, *self.args, **self.kwargs).data
        finally:
            self.action = action

    def current_etag(self) -> str:
        with translation.override(ETAG_LANGUAGE), timezone.override(ETAG_TIME_ZONE):
            return etag_of(self.etag_representation())

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not 200 <= response.status_code < 300 or getattr(response, "data", None) is None:
            return response
        detail_read = self.action == "retrieve" and request.method in ("GET", "HEAD")
        if detail_read and _in_etag_locale():
            response["ETag"] = etag_of(response.data)  # the answer is the representation itself
        elif detail_read or request.method in CONDITIONAL_METHODS:
            with contextlib.suppress(Http404, NotFound):  # a change that took it out of the caller's sight
                response["ETag"] = self.current_etag()
        return response
