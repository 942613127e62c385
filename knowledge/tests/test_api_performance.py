"""Acceptance 5: constant queries for any page size; public answers served from the cache."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

USES_REDIS = "redis" in settings.CACHES["default"]["BACKEND"].lower()


def query_count(client, url: str) -> tuple[int, dict]:
    cache.clear()  # measure the database work, not the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.fixture
def fifty(category):
    for index in range(50):
        ArticleFactory(title=f"Refund question {index}", content=f"How refunds work, case {index}, in plenty of words.")


@pytest.mark.parametrize("api", ["anonymous_api", "agent_api"])
def test_the_list_costs_the_same_for_1_and_50_articles(request, fifty, api):
    client = request.getfixturevalue(api)

    one, small = query_count(client, "/api/support/articles?page_size=1")
    many, large = query_count(client, "/api/support/articles?page_size=50")

    assert (len(small["results"]), len(large["results"])) == (1, 50)
    assert one == many


def test_search_costs_the_same_for_1_and_50_results(anonymous_api, fifty):
    one, _ = query_count(anonymous_api, "/api/support/articles?q=refund&page_size=1")
    many, body = query_count(anonymous_api, "/api/support/articles?q=refund&page_size=50")

    assert len(body["results"]) == 50
    assert one == many


def redis_hits() -> int:
    from django_redis import get_redis_connection

    return int(get_redis_connection("default").info("stats")["keyspace_hits"])


def test_a_repeated_public_search_is_served_from_the_cache_until_the_article_changes(
    anonymous_api, supervisor_api, category, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Refund policy", content="Refunds are possible within thirty days.")
    url = "/api/support/articles?q=refund"

    first = anonymous_api.get(url)
    hits_before = redis_hits() if USES_REDIS else 0
    with CaptureQueriesContext(connection) as queries:
        second = anonymous_api.get(url)

    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.json() == first.json()
    assert len(queries) == 0  # not a single database query for the cached answer
    if USES_REDIS:
        assert redis_hits() > hits_before

    with django_capture_on_commit_callbacks(execute=True):  # the cache is retired on commit
        response = supervisor_api.patch(
            f"/api/support/articles/{article.pk}", {"title": "Refund policy (updated)"}, format="json"
        )
    assert response.status_code == 200
    third = anonymous_api.get(url)

    assert third["X-Cache"] == "miss"
    assert third.json()["results"][0]["title"] == "Refund policy (updated)"


def test_agents_lists_are_cached_apart_from_the_public_ones_and_retired_by_a_draft(
    anonymous_api, agent_api, supervisor_api, category, django_capture_on_commit_callbacks
):
    ArticleFactory(title="Refund policy")
    url = "/api/support/articles?q=refund"
    assert anonymous_api.get(url).json()["count"] == 1

    first, second = agent_api.get(url), agent_api.get(url)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")  # not the public answer
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(
            "/api/support/articles",
            {
                "title": "Refund exceptions",
                "content": "Refund rules for annual plans.",
                "status": "draft",
                "category": category.slug,
                "language": "en",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()

    after = agent_api.get(url)
    assert after["X-Cache"] == "miss" and after.json()["count"] == 2  # the new draft, at once
    assert anonymous_api.get(url).json()["count"] == 1  # drafts never reach the public answer


def test_an_agent_reading_one_article_is_never_served_a_cached_answer(agent_api, category):
    article = ArticleFactory(title="Refund policy")

    agent_api.get(f"/api/support/articles/{article.pk}")
    response = agent_api.get(f"/api/support/articles/{article.pk}")

    assert "X-Cache" not in response


def test_a_new_faq_retires_the_cached_faq_list(
    anonymous_api, supervisor_api, category, django_capture_on_commit_callbacks
):
    assert anonymous_api.get("/api/support/faqs").json()["count"] == 0
    assert anonymous_api.get("/api/support/faqs")["X-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        supervisor_api.post(
            "/api/support/faqs",
            {"question": "How do I pay?", "answer": "By card.", "category": "general", "published": True},
            format="json",
        )

    assert anonymous_api.get("/api/support/faqs").json()["count"] == 1
