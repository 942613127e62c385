from __future__ import annotations

import pytest
from rest_framework import viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from core.api import Pagination, Router


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


@pytest.mark.django_db
class TestCountingWithoutCountingEverything:
    """Lists never count past API_COUNT_LIMIT rows nor skip past API_MAX_OFFSET."""

    @pytest.fixture
    def tickets(self, category):
        from tickets.tests.factories import TicketFactory

        return TicketFactory.create_batch(7, category=category)

    def test_a_count_under_the_limit_is_exact(self, agent_api, tickets, settings):
        settings.API_COUNT_LIMIT = 100

        body = agent_api.get("/api/support/tickets", {"page_size": 3}).json()

        assert (body["count"], body["count_exact"], len(body["results"])) == (7, True, 3)
        assert "page=2" in body["next"] and body["previous"] is None

    def test_a_count_past_the_limit_stops_at_it(self, agent_api, tickets, settings):
        settings.API_COUNT_LIMIT = 4

        body = agent_api.get("/api/support/tickets", {"page_size": 2}).json()

        assert (body["count"], body["count_exact"]) == (4, False)

    def test_the_last_page_knows_the_exact_count_whatever_the_limit(self, agent_api, tickets, settings):
        settings.API_COUNT_LIMIT = 2

        body = agent_api.get("/api/support/tickets", {"page_size": 3, "page": 3}).json()

        assert (body["count"], body["count_exact"], body["next"]) == (7, True, None)
        assert "page=2" in body["previous"]

    def test_a_short_first_page_runs_no_count_query(self, agent_api, tickets, django_assert_max_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            body = agent_api.get("/api/support/tickets", {"page_size": 50}).json()

        assert body["count"] == 7
        assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]

    def test_pages_past_the_offset_limit_are_refused_with_the_field(self, agent_api, tickets, settings):
        settings.API_MAX_OFFSET = 4

        response = agent_api.get("/api/support/tickets", {"page_size": 2, "page": 3})

        assert response.status_code == 400
        assert "narrow the filters" in response.json()["page"][0]

    @pytest.mark.parametrize("page", ["0", "-1", "abc", "99"])
    def test_a_page_that_does_not_exist_is_404(self, agent_api, tickets, page):
        assert agent_api.get("/api/support/tickets", {"page": page}).status_code == 404


@pytest.mark.django_db
def test_every_operation_documents_one_media_type_and_refuses_others_with_415(admin_user):
    """Each body the schema documents is JSON, or multipart for the two uploads, and a
    body of another type is answered 415 with a sentence (403 or 404 when the caller or
    the object is refused first), never read as something else and never a 500."""
    from drf_spectacular.generators import SchemaGenerator

    from conftest import api_client_for

    schema = SchemaGenerator().get_schema(request=None, public=True)
    api = api_client_for(admin_user)
    uploads, answers = [], {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            [media_type] = operation["requestBody"]["content"]
            if media_type == "multipart/form-data":
                uploads.append(path)
                other, sent = {"data": {"body": "hi"}, "format": "json"}, "application/json"
            else:
                assert media_type == "application/json", (method, path)
                sent = "application/x-www-form-urlencoded"
                other = {"data": "body=hi", "content_type": sent}
            url = path.replace("{id}", "999999").replace("{", "").replace("}", "")
            response = getattr(api, method)(url, **other)
            answers[(method, path)] = response.status_code
            assert response.status_code in (403, 404, 415), (method, path, response.status_code)
            if response.status_code == 415:
                assert f'"{sent}"' in response.json()["detail"]
    assert sorted(uploads) == [
        "/api/support/tickets/with-attachments/",
        "/api/support/tickets/{id}/messages/with-attachments/",
    ]
    assert answers[("post", "/api/support/tickets/")] == 415
    assert answers[("post", "/api/support/tickets/with-attachments/")] == 415
