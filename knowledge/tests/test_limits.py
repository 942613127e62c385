"""Acceptance 4: every limit answers 400 naming the field; the database refuses the same."""

from __future__ import annotations

import pytest
from django.db import DataError, IntegrityError, transaction

from knowledge.models import FAQ, Article

pytestmark = pytest.mark.django_db

ARTICLE = {"title": "A good title", "content": "x" * 20, "category": "general", "status": "published"}
FAQ_DATA = {"question": "How do I pay?", "answer": "By card.", "category": "general", "priority": 50}


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("title", "x" * 4, False),
        ("title", "x" * 5, True),
        ("title", "x" * 255, True),
        ("title", "x" * 256, False),
        ("content", "x" * 19, False),
        ("content", "x" * 20, True),
        ("content", "x" * 50000, True),
        ("content", "x" * 50001, False),
        ("status", "hidden", False),
        ("language", "klingon", False),
        ("language", "ru", True),
        ("category", "astrology", False),
        ("slug", "not a slug", False),
        ("tags", ["fine", "also-fine"], True),
        ("tags", ["not fine!"], False),
    ],
)
def test_article_limits(supervisor_api, category, field, value, accepted):
    response = supervisor_api.post("/api/support/articles", {**ARTICLE, field: value}, format="json")

    assert response.status_code == (201 if accepted else 400), response.json()
    if accepted:
        assert response.json()["published_at"] is not None
    else:
        assert field in response.json()
        assert not Article.objects.exists()


def test_a_duplicate_slug_is_refused(supervisor_api, category):
    supervisor_api.post("/api/support/articles", {**ARTICLE, "slug": "pay"}, format="json")

    response = supervisor_api.post("/api/support/articles", {**ARTICLE, "slug": "pay"}, format="json")

    assert response.status_code == 400
    assert "slug" in response.json()


def test_slugs_are_made_unique_from_titles(supervisor_api, category):
    first = supervisor_api.post("/api/support/articles", ARTICLE, format="json").json()["slug"]
    second = supervisor_api.post("/api/support/articles", ARTICLE, format="json").json()["slug"]

    assert (first, second) == ("a-good-title", "a-good-title-2")


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("priority", 0, False),
        ("priority", 1, True),
        ("priority", 100, True),
        ("priority", 101, False),
        ("question", "Why?", False),
        ("question", "x" * 501, False),
        ("answer", "", False),
        ("answer", "x" * 10001, False),
    ],
)
def test_faq_limits(supervisor_api, category, field, value, accepted):
    response = supervisor_api.post("/api/support/faqs", {**FAQ_DATA, field: value}, format="json")

    assert response.status_code == (201 if accepted else 400), response.json()
    if not accepted:
        assert field in response.json()
        assert not FAQ.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "x" * 4},
        {"title": "x" * 256},
        {"content": "x" * 19},
        {"content": "x" * 50001},
        {"status": "hidden"},
        {"language": "klingon"},
        {"slug": ""},
        {"status": "published", "published_at": None},
    ],
)
def test_the_database_refuses_bad_articles(category, fields):
    values = {
        "title": "Good title",
        "slug": "good",
        "content": "x" * 20,
        "category": category,
        "status": "draft",
        **fields,
    }
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Article.objects.create(**values)


@pytest.mark.parametrize("fields", [{"priority": 0}, {"priority": 101}, {"question": "Why"}, {"answer": ""}])
def test_the_database_refuses_bad_faqs(category, fields):
    values = {"question": "How do I pay?", "answer": "By card.", "category": category, **fields}
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        FAQ.objects.create(**values)


def test_only_agents_write(anonymous_api, integration_api, category):
    assert anonymous_api.post("/api/support/articles", ARTICLE, format="json").status_code == 401
    assert integration_api.post("/api/support/articles", ARTICLE, format="json").status_code == 403
    assert integration_api.post("/api/support/faqs", FAQ_DATA, format="json").status_code == 403
