"""Request limits: how big a body may be, and how deep a JSON document may nest.

1. `RequestSizeLimitMiddleware` refuses a body whose declared length is over the limit
   before anything reads it: 413, JSON for the API and a page for people. The limit is
   DATA_UPLOAD_MAX_MEMORY_SIZE, or for multipart uploads room for ATTACHMENT_MAX_FILES files
   of ATTACHMENT_MAX_BYTES plus the form fields (each file is still checked on its own by
   the form or serializer, with a 400 naming the field).
2. `JSONParser` is the API's parser: it reads at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes
   (DRF hands it the raw stream, which Django's own check never sees), and answers 400 for
   malformed JSON, text that is not UTF-8, and documents nested deeper than JSON_MAX_DEPTH
   (so no request can make the server recurse until it falls over).
3. `bad_request` is handler400: Django raises RequestDataTooBig (a SuspiciousOperation, a
   400 by default) when a body it reads is over the limit; that answer becomes a 413 too.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(too_large_message(limit))


def too_large_message(limit: int) -> str:
    # Translators: "size" is a readable size ("10.0 MB"), "bytes" the same limit in bytes.
    return _("The request body is too large: at most %(size)s (%(bytes)d bytes) is accepted.") % {
        "size": filesizeformat(limit),
        "bytes": limit,
    }


def body_limit(request: HttpRequest) -> int:
    """The largest body this request may carry, in bytes."""
    if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/"):
        return settings.ATTACHMENT_MAX_FILES * settings.ATTACHMENT_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """413: JSON naming the limit for the API, a page a person can read otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": too_large_message(limit)}, status=413)
    return render(request, "request_too_large.html", {"limit": limit}, status=413)


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0  # WSGI servers refuse malformed lengths; the body then reads as empty


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request)
        if _declared_length(request) > limit:
            return too_large(request, limit)
        return self.get_response(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's refusals of a request's body, in words, never a 500."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exception, TooManyFilesSent):
        files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        detail = ngettext(
            "Too many files: at most %(count)d can be sent at once.",
            "Too many files: at most %(count)d can be sent at once.",
            files,
        ) % {"count": files}
    elif isinstance(exception, TooManyFieldsSent):
        fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        detail = ngettext(
            "Too many form fields: at most %(count)d is accepted.",
            "Too many form fields: at most %(count)d are accepted.",
            fields,
        ) % {"count": fields}
    else:
        detail = _("The request could not be understood.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=400)
    return render(request, "400.html", {"detail": detail}, status=400)


def json_depth(document: object) -> int:
    """How deeply arrays and objects nest (a scalar is 0), without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(document, 0)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        pending.extend((child, depth) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit, a depth limit and a 400 for any malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(
                _("JSON parse error - the body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from None
        max_depth = settings.JSON_MAX_DEPTH
        try:
            document = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(_nested_too_deep(max_depth)) from None
        except ValueError as error:
            # Translators: "error" is Python's own description of the fault, in English.
            raise ParseError(_("JSON parse error - %(error)s") % {"error": error}) from None
        if json_depth(document) > max_depth:
            raise ParseError(_nested_too_deep(max_depth))
        return document


def _nested_too_deep(max_depth: int) -> str:
    return ngettext(
        "JSON parse error - nested deeper than %(count)d level.",
        "JSON parse error - nested deeper than %(count)d levels.",
        max_depth,
    ) % {"count": max_depth}


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
