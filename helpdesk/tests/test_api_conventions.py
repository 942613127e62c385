from __future__ import annotations

import pytest
from rest_framework import viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from helpdesk.api import Pagination, Router


def paginate(query: str, items: list[int]) -> list[int]:
    request = Request(APIRequestFactory().get(f"/api/support/things{query}"))
    return Pagination().paginate_queryset(items, request)


def test_page_size_is_chosen_by_the_caller(settings):
    assert len(paginate("?page_size=7", list(range(500)))) == 7
    assert len(paginate("", list(range(500)))) == settings.REST_FRAMEWORK["PAGE_SIZE"]


def test_page_size_is_capped(settings):
    settings.API_MAX_PAGE_SIZE = 100

    assert len(paginate("?page_size=100000", list(range(500)))) == 100


class Echo(viewsets.ViewSet):
    permission_classes = [AllowAny]

    def list(self, request):
        return Response({"items": []})

    def retrieve(self, request, pk=None):
        return Response({"id": pk})


router = Router()
router.register("echo", Echo, basename="echo")
urlpatterns = router.urls


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("path", ["/echo", "/echo/", "/echo/7", "/echo/7/"])
def test_routes_answer_with_and_without_a_trailing_slash(client, path):
    assert client.get(path).status_code == 200
