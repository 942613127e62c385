"""Request ids: one per request, on every log line written while serving it.

The id comes from the caller's `X-Request-ID` header when it looks like an id (so a proxy
or load balancer can correlate its own logs), otherwise a new UUID; it is returned in the
response's `X-Request-ID` header and logged on the request line and on every other line
written while the request is handled.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
request_logger = logging.getLogger("helpdesk.request")


# Paths that carry a secret: whoever reads the logs must not be able to open a customer's
# ticket, answer their survey or set an agent's password with what they read.
_SECRET_PATHS = [
    (re.compile(r"(/portal/tickets/)(?!new\b|lookup\b)[^/?#\s'\"]+"), r"\1[redacted]"),
    (re.compile(r"(/survey/)[^/?#\s'\"]+"), r"\1[redacted]"),
    (re.compile(r"(/accounts/reset/)[^/?#\s'\"]+/[^/?#\s'\"]+"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    """The text with every secret-bearing path's token replaced by [redacted]."""
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Redacts tokens in a record's message, its arguments, and the `path` and `request`
    extras (Django's request logger attaches the request, which a JSON line prints)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(v) if isinstance(v, str) else v for key, v in record.args.items()}
        for name in ("path", "request"):
            value = getattr(record, name, None)
            if value is not None and not isinstance(value, int | float):
                setattr(record, name, redact(str(value)))
        return True


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record, "-" outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _ACCEPTABLE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            request_logger.info(
                "%s %s %s %sms",
                request.method,
                request.get_full_path(),
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            request_id_var.reset(token)
