"""Rate limits: who a limit counts, how long until it resets, and the API's per-caller limit.

Every limit is a fixed window counted in the cache named by RATELIMIT_USE_CACHE (the
default cache: Redis whenever REDIS_URL or CACHE_URL names one), so every web process and
every replica shares one count. Windows, keys and groups are django-ratelimit's; the count is
one atomic write per request (`_count`): in Redis a single INCR that also sets a new
counter's expiry, in one round trip that reads nothing, where django-ratelimit's add-then-incr
took two and looked the key up each time (counted by Redis as cache hits, which they are not).

- `ratelimit` is django-ratelimit's decorator with one difference: past the limit it
  raises `RateLimitExceeded`, which knows the seconds left in the window, so the 429
  answers carry a true `Retry-After` instead of a guess.
- `ApiRateThrottle` is the REST API's throttle: per user (token or session, API_USER_RATE)
  for authenticated callers, per client address (API_ANON_RATE) for anonymous ones.
- `RateLimitHeadersMiddleware` adds `X-RateLimit-Limit` and `X-RateLimit-Remaining` to every
  response that went through a limit, and `Retry-After` to every 429.

A cache that cannot be reached lets requests through (logged): an outage of Redis must not
turn into an outage of the helpdesk.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import TypedDict

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django_ratelimit import ALL
from django_ratelimit import core as django_ratelimit
from django_ratelimit.exceptions import Ratelimited
from django_redis.cache import RedisCache, omit_exception
from django_redis.client import DefaultClient, ShardClient
from django_redis.client.default import _main_exceptions as _redis_errors
from django_redis.exceptions import ConnectionInterrupted
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client address that anonymous-endpoint rate limits count against.

    Behind a reverse proxy every request comes from the proxy; with TRUSTED_PROXY_COUNT set
    to the number of proxies in front, the client is the address that many entries from the
    right of X-Forwarded-For (the part the proxies themselves appended, so a client cannot
    forge it).
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class Usage(TypedDict):
    count: int
    limit: int
    should_limit: bool
    time_left: int


class RateLimitExceeded(Ratelimited):
    """A limit was exceeded; `retry_after` is the number of seconds until its window resets."""

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(f"Rate limit of {limit} exceeded; retry in {retry_after} s.")
        self.limit = limit
        self.retry_after = retry_after


def retry_after(usage: Usage) -> int:
    """Whole seconds until the window resets.

    django-ratelimit's window covers the whole seconds up to and including its end
    (`time_left` is 0 during the last one), so the next window starts one second later.
    """
    return max(1, int(usage["time_left"]) + 1)


# One round trip, no read: INCR creates a missing counter at 1; a new one gets its expiry.
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def _is_redis(cache: BaseCache) -> bool:
    """A django-redis cache on one server (not sharded)."""
    return (
        isinstance(cache, RedisCache)
        and isinstance(cache.client, DefaultClient)
        and not isinstance(cache.client, ShardClient)
    )


@omit_exception
def _redis_incr(cache: RedisCache, cache_key: str, seconds: int) -> int:
    # A failure is the cache's own: with IGNORE_EXCEPTIONS it is logged as django-redis logs
    # any other command's and the count is None; without, it is raised.
    client = cache.client
    try:
        return int(client.get_client(write=True).eval(_INCR_WITH_EXPIRY, 1, client.make_key(cache_key), seconds))
    except _redis_errors as error:
        raise ConnectionInterrupted(connection=client) from error


def _count(cache_key: str, seconds: int) -> int | None:
    """Add this request to a window's counter, which expires `seconds` after it was started;
    return the count (None when the cache could not count)."""
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if _is_redis(cache):
        return _redis_incr(cache, cache_key, seconds)
    if cache.add(cache_key, 1, seconds):  # elsewhere as django-ratelimit does: add, else incr
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between the two
        return None


def _group_of(fn: Callable) -> str:
    """The name django-ratelimit gives the limit of a decorated view that names no group."""
    if isinstance(fn, functools.partial):
        fn = fn.func
    if fn.__name__ == "bound_func":  # method_decorator
        fn = fn.__closure__[0].cell_contents
    parts = [fn.__module__] if hasattr(fn, "__module__") else []
    if hasattr(fn, "__self__"):
        parts.append(fn.__self__.__class__.__name__)
    parts.append(fn.__qualname__)
    return ".".join(parts)


def _key_value(key, group: str, request: HttpRequest) -> str:
    """Whom a limit counts: django-ratelimit's key forms ("ip", "user", "get:x", a callable...)."""
    if callable(key):
        return key(group, request)
    if key in django_ratelimit._SIMPLE_KEYS:
        return django_ratelimit._SIMPLE_KEYS[key](request)
    if key and ":" in key:
        accessor, name = key.split(":", 1)
        if accessor not in django_ratelimit._ACCESSOR_KEYS:
            raise ImproperlyConfigured(f"Unknown ratelimit key: {key}")
        return django_ratelimit._ACCESSOR_KEYS[accessor](request, name)
    if key and "." in key:
        return import_string(key)(group, request)
    raise ImproperlyConfigured(f"Could not understand ratelimit key: {key}")


def count_request(request: HttpRequest, *, group=None, fn=None, key=None, rate=None, method=ALL) -> Usage | None:
    """django-ratelimit's `get_usage(..., increment=True)`, counting with `_count`.

    Same windows (fixed, with django-ratelimit's per-key jitter), same cache keys and groups,
    same answer; None when no limit applies. `time_left` is -1 when the cache could not count.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True) or not django_ratelimit._method_match(request, method):
        return None
    if group is None:
        group = _group_of(fn)
    if callable(rate):
        rate = rate(group, request)
    elif isinstance(rate, str) and "." in rate:
        rate = import_string(rate)(group, request)
    if rate is None:
        return None
    limit, period = django_ratelimit._split_rate(rate)
    if period <= 0:
        raise ImproperlyConfigured("Ratelimit period must be greater than 0")
    if not key:
        raise ImproperlyConfigured("Ratelimit key must be specified")
    value = _key_value(key, group, request)
    window = django_ratelimit._get_window(value, period)
    cache_key = django_ratelimit._make_cache_key(group, window, rate, value, method)
    count = _count(cache_key, period + django_ratelimit.EXPIRATION_FUDGE)
    if count is None:
        return {"count": 0, "limit": 0, "should_limit": False, "time_left": -1}
    return {"count": count, "limit": limit, "should_limit": count > limit, "time_left": window - int(time.time())}


def _usage(request: HttpRequest, **kwargs) -> Usage | None:
    """Count this request against a limit; None when no limit applies or the cache is down."""
    try:
        usage = count_request(request, **kwargs)
    except Exception:  # an unreachable cache must not refuse service
        logger.warning("Rate limit not counted: the cache is unavailable", exc_info=True)
        return None
    if usage is None or usage["time_left"] < 0:  # no limit, or the cache failed to count
        return None
    # The response names the tightest limit the request passed through. (A DRF Request
    # forwards reads to Django's, not writes: keep it where the middleware will look.)
    django_request = getattr(request, "_request", request)
    previous: Usage | None = getattr(django_request, "rate_limit_usage", None)
    if previous is None or _remaining(usage) < _remaining(previous):
        django_request.rate_limit_usage = usage
    return usage


def _remaining(usage: Usage) -> int:
    return max(0, usage["limit"] - usage["count"])


def ratelimit(group=None, key=None, rate=None, method=ALL, block: bool = True) -> Callable:
    """django-ratelimit's `@ratelimit`, raising `RateLimitExceeded` with the seconds left."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def _wrapped(request: HttpRequest, *args, **kwargs):
            usage = _usage(request, group=group, fn=fn, key=key, rate=rate, method=method)
            limited = usage is not None and usage["should_limit"]
            request.limited = limited or getattr(request, "limited", False)
            if limited and block:
                raise RateLimitExceeded(limit=usage["limit"], retry_after=retry_after(usage))
            return fn(request, *args, **kwargs)

        return _wrapped

    return decorator


def _api_rate(group: str, request: HttpRequest) -> str | None:
    rate = settings.API_USER_RATE if request.user.is_authenticated else settings.API_ANON_RATE
    return rate or None  # an empty setting turns the limit off


def _api_caller(group: str, request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


class ApiRateThrottle(BaseThrottle):
    """Every REST API request counts against its caller: the user behind the token or
    session (API_USER_RATE), or the client address when anonymous (API_ANON_RATE)."""

    def allow_request(self, request, view) -> bool:
        # DRF has authenticated by now and handed the user it found to Django's request.
        self.usage = _usage(request._request, group="api", key=_api_caller, rate=_api_rate)
        return self.usage is None or not self.usage["should_limit"]

    def wait(self) -> float | None:
        return retry_after(self.usage) if self.usage else None


class RateLimitHeadersMiddleware:
    """`X-RateLimit-Limit`/`-Remaining` for requests that passed a limit; `Retry-After` on 429s."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        usage: Usage | None = getattr(request, "rate_limit_usage", None)
        if usage is not None:
            response.headers.setdefault("X-RateLimit-Limit", str(usage["limit"]))
            response.headers.setdefault("X-RateLimit-Remaining", str(_remaining(usage)))
            if response.status_code == 429:
                response.headers.setdefault("Retry-After", str(retry_after(usage)))
        return response
