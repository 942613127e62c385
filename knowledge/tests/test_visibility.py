"""Acceptance 2: drafts and archived articles stay out of every public place."""

from __future__ import annotations

import pytest

from knowledge.tests.factories import ArticleFactory, FAQFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed(category):
    return {
        "published": ArticleFactory(title="Published refund guide", slug="published-refund-guide"),
        "draft": ArticleFactory(title="Draft refund guide", slug="draft-refund-guide", status="draft"),
        "archived": ArticleFactory(title="Archived refund guide", slug="archived-refund-guide", status="archived"),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [a["title"] for a in response.json()["results"]]


def test_the_public_api_lists_and_searches_published_articles_only(anonymous_api, integration_api, mixed):
    for api in (anonymous_api, integration_api):
        assert titles(api.get("/api/support/articles")) == ["Published refund guide"]
        assert titles(api.get("/api/support/articles", {"q": "refund"})) == ["Published refund guide"]
        assert api.get("/api/support/articles", {"q": "refund"}).json()["count"] == 1
        assert titles(api.get("/api/support/articles", {"status": "draft"})) == []
        assert api.get(f"/api/support/articles/{mixed['draft'].pk}").status_code == 404
        assert api.get(f"/api/support/articles/{mixed['archived'].pk}").status_code == 404


def test_agents_see_every_status_and_filter_by_it(agent_api, mixed):
    assert len(titles(agent_api.get("/api/support/articles"))) == 3
    assert titles(agent_api.get("/api/support/articles", {"status": "draft"})) == ["Draft refund guide"]
    assert titles(agent_api.get("/api/support/articles", {"status": "archived", "q": "refund"})) == [
        "Archived refund guide"
    ]
    assert agent_api.get(f"/api/support/articles/{mixed['draft'].pk}").status_code == 200


def test_public_pages_never_show_drafts_or_archived_articles(client, mixed):
    index = client.get("/kb/").content.decode()
    results = client.get("/kb/", {"q": "refund"}).content.decode()

    for page in (index, results):
        assert "Published refund guide" in page
        assert "Draft refund guide" not in page
        assert "Archived refund guide" not in page
    assert "1 result for" in results
    assert client.get("/kb/draft-refund-guide").status_code == 404
    assert client.get("/kb/archived-refund-guide").status_code == 404
    assert client.get("/kb/published-refund-guide").status_code == 200


def test_suggestions_never_offer_drafts_or_archived_articles(client, mixed):
    partial = client.get("/kb/suggest", {"subject": "refund guide"}).content.decode()

    assert "Published refund guide" in partial
    assert "Draft" not in partial and "Archived" not in partial


def test_unpublished_faqs_stay_private(client, anonymous_api, agent_api, category):
    FAQFactory(question="Public question?")
    FAQFactory(question="Hidden question?", published=False)

    assert "Hidden question?" not in client.get("/faq/").content.decode()
    assert [f["question"] for f in anonymous_api.get("/api/support/faqs").json()["results"]] == ["Public question?"]
    assert len(agent_api.get("/api/support/faqs").json()["results"]) == 2
