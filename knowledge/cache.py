"""Cached public answers of the knowledge-base API.

Responses to anonymous (and other non-staff) readers are cached under a key that includes a
generation number; any change to an article or FAQ bumps the generation after commit, so
every cached answer is retired at once without having to know which ones a change affects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from rest_framework.response import Response

GENERATION_KEY = "kb:public:generation"


def _generation() -> int:
    return cache.get_or_set(GENERATION_KEY, 1, timeout=None)


def invalidate_public_cache() -> None:
    def bump() -> None:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # the key was evicted: any new value retires the old answers
            cache.set(GENERATION_KEY, 2, timeout=None)

    transaction.on_commit(bump)


def cached_for_public(view: Callable | None = None, *, staff: bool = False) -> Callable:
    """Cache a DRF action's 200 answers for callers who only see published content; with
    `staff`, agents' answers too (drafts included), under keys of their own. Either is
    retired by any change to an article or FAQ (the generation); only vote and view counts
    may lag, by KB_PUBLIC_CACHE_SECONDS at most."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(self, request, *args, **kwargs):
            audience = "staff" if self.is_staff_reader() else "public"
            if audience == "staff" and not staff:
                return view(self, request, *args, **kwargs)
            path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
            key = f"kb:{audience}:{_generation()}:{self.basename}:{self.action}:{path}"
            cached = cache.get(key)
            if cached is not None:
                response = Response(cached)
                response["X-Cache"] = "hit"
                return response
            response = view(self, request, *args, **kwargs)
            if response.status_code == 200:
                cache.set(key, response.data, timeout=settings.KB_PUBLIC_CACHE_SECONDS)
                response["X-Cache"] = "miss"
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
