"""Safe retries: a POST to the API sent again with the same `Idempotency-Key` is answered
once.

`IdempotencyMiddleware` covers every POST under /api/ (so a new endpoint cannot forget it),
for callers the view itself would authenticate:

1. The key must be 1 to 255 printable ASCII characters without spaces, else 400 naming the
   header.
2. The request's fingerprint is its method, path (with query) and a hash of its body: the
   raw bytes, or for a multipart upload its parsed fields and the contents of its files
   (a client regenerates the boundary on every attempt).
3. The caller is who the view's own authenticators say it is (DRF authenticates inside the
   view, after the middleware): the key is scoped to that user. An anonymous caller, or
   credentials the view would refuse, go on to the view without idempotency (it answers
   401 or 403 as always).
4. In one transaction: insert the key's row first (`claim`). A concurrent request with the
   same key blocks on the unique index until the first one's transaction ends; then it
   finds the row and its stored answer. A row older than IDEMPOTENCY_KEY_HOURS is taken
   over as if new.
5. The view runs in that transaction. A 2xx answer is stored on the row and committed with
   the change; any other answer rolls everything back (nothing was written, the key may be
   tried again). A streamed or non-JSON answer (a file) is not stored: its key row is
   dropped and the change committed.
6. The same key again: the same fingerprint gets the stored status and body with
   `Idempotent-Replayed: true`; another fingerprint gets 422.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.views import APIView

from core.limits import bad_request
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# How long a key's answer is kept: Stripe's and the IETF draft's 24 hours.
IDEMPOTENCY_KEY_HOURS = 24


@dataclass(frozen=True)
class Fingerprint:
    method: str
    path: str
    body_hash: str


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all("!" <= char <= "~" for char in key)


def _hash_multipart(request: HttpRequest) -> str:
    """The upload's fields and files, in a form that does not depend on the boundary."""
    digest = hashlib.sha256()
    for name in sorted(request.POST):
        for value in request.POST.getlist(name):
            digest.update(repr(("field", name, value)).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            content = hashlib.sha256()
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)  # the view reads it again
            digest.update(repr(("file", name, upload.name, content.hexdigest())).encode())
    return digest.hexdigest()


def fingerprint(request: HttpRequest, *, multipart: bool) -> Fingerprint:
    """May raise Django's refusals of a body (RequestDataTooBig, MultiPartParserError, …)."""
    body_hash = _hash_multipart(request) if multipart else hashlib.sha256(request.body).hexdigest()
    return Fingerprint(method=request.method, path=request.get_full_path(), body_hash=body_hash)


class _CredentialsOnly(Request):
    """A DRF request used only to ask the view's authenticators who is calling. Its POST is
    Django's (session authentication's CSRF check reads it); DRF never parses the body here,
    so the view's own request still reads all of it."""

    @property
    def POST(self):
        return self._request.POST


def _api_view(request: HttpRequest) -> tuple[type[APIView], dict] | None:
    """The DRF view the request goes to, and the arguments it is built with (an @action's
    own authentication or parser classes)."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    if not isinstance(view_class, type) or not issubclass(view_class, APIView):
        return None
    return view_class, getattr(match.func, "initkwargs", {})


def _caller(request: HttpRequest, view_class: type[APIView], initkwargs: dict):
    classes = initkwargs.get("authentication_classes", view_class.authentication_classes)
    credentials = _CredentialsOnly(request, authenticators=[authenticator() for authenticator in classes])
    try:
        user = credentials.user
    except APIException:  # refused credentials or CSRF: the view answers that itself
        return None
    return user if user is not None and user.is_authenticated else None


def _accepts_multipart(view_class: type[APIView], initkwargs: dict) -> bool:
    parsers = initkwargs.get("parser_classes", view_class.parser_classes)
    return any(parser.media_type.startswith("multipart/") for parser in parsers)


def claim(*, user, key: str, request: Fingerprint) -> tuple[IdempotencyKey, bool]:
    """The key's row, and whether this request is the first with it (and must run the view).
    Call inside a transaction: the new row is only seen by others once it commits."""
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method,
                    path=request.path,
                    body_hash=request.body_hash,
                    created_at=now,
                )
            return row, True
        except IntegrityError:
            pass  # another request holds the key, and committed its answer
        row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if row is None:  # purged between the two statements: claim it again
            continue
        if row.created_at < now - timedelta(hours=IDEMPOTENCY_KEY_HOURS):
            row.method, row.path, row.body_hash, row.created_at = request.method, request.path, request.body_hash, now
            row.response_status, row.response_content_type, row.response_body = None, "", None
            row.save()
            return row, True
        return row, False
    raise RuntimeError("An idempotency key could not be claimed.")  # not reached: a key is purged once a day at most


def _storable(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    return not response.streaming and content_type.startswith("application/json")


def replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.response_body), status=row.response_status, content_type=row.response_content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def key_reused() -> JsonResponse:
    return JsonResponse(
        {
            "detail": _(
                "This Idempotency-Key was already used with another request (a different method, path or body). "
                "Use a new key for a new request."
            )
        },
        status=422,
    )


def invalid_key() -> JsonResponse:
    return JsonResponse(
        {
            "detail": _("The Idempotency-Key header must be 1 to %(count)d printable ASCII characters without spaces.")
            % {"count": MAX_KEY_LENGTH}
        },
        status=400,
    )


def answer_once(
    request: HttpRequest, *, user, key: str, request_fingerprint: Fingerprint, get_response: Callable
) -> HttpResponse:
    """Steps 4 to 6 of the module's docstring."""
    with transaction.atomic():
        row, first = claim(user=user, key=key, request=request_fingerprint)
        if not first:
            same = (row.method, row.path, row.body_hash) == (
                request_fingerprint.method,
                request_fingerprint.path,
                request_fingerprint.body_hash,
            )
            return replay(row) if same else key_reused()
        response = get_response(request)
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)
            return response
        if _storable(response):
            row.response_status = response.status_code
            row.response_content_type = response["Content-Type"]
            row.response_body = response.content
            row.save(update_fields=["response_status", "response_content_type", "response_body"])
        else:
            row.delete()
        return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        view = _api_view(request)
        if view is None:
            return self.get_response(request)
        view_class, initkwargs = view
        content_type = request.META.get("CONTENT_TYPE", "").lower()
        multipart = content_type.startswith("multipart/")
        if multipart and not _accepts_multipart(view_class, initkwargs):
            return self.get_response(request)  # the view answers 415 for a form it does not read
        try:
            request_fingerprint = fingerprint(request, multipart=multipart)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as refused:
            return bad_request(request, refused)
        except MultiPartParserError:
            return JsonResponse({"detail": _("The multipart form could not be read.")}, status=400)
        user = _caller(request, view_class, initkwargs)
        if user is None:
            return self.get_response(request)
        if not valid_key(key):
            return invalid_key()
        return answer_once(
            request, user=user, key=key, request_fingerprint=request_fingerprint, get_response=self.get_response
        )


def purge_expired_keys(*, now=None) -> int:
    """Delete keys past IDEMPOTENCY_KEY_HOURS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=IDEMPOTENCY_KEY_HOURS)
    deleted, _kinds = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
