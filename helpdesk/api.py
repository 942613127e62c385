"""Shared pieces of the REST API: pagination and the router."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter


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
