from __future__ import annotations

import pytest

from knowledge.models import Article
from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_supervisor_writes_an_article_in_admin_and_sees_the_preview(client, supervisor, category):
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/knowledge/article/add/",
        {
            "title": "Pay by bank transfer",
            "slug": "",
            "content": "Choose **bank transfer** at checkout <script>alert(1)</script>",
            "category": category.pk,
            "tag_list": "payment, Bank",
            "language": "en",
            "status": "published",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert (article.slug, article.tags, article.published_at is not None) == (
        "pay-by-bank-transfer",
        ["bank", "payment"],
        True,
    )
    page = client.get(f"/admin/knowledge/article/{article.pk}/change/").content.decode()
    assert "<strong>bank transfer</strong>" in page
    assert "<script>alert(1)</script>" not in page.split("Preview, as customers see it")[1]


def test_admin_refuses_a_too_short_article(client, supervisor, category):
    client.force_login(supervisor.user)

    response = client.post(
        "/admin/knowledge/article/add/",
        {"title": "Hi", "content": "short", "category": category.pk, "language": "en", "status": "draft"},
    )

    assert response.status_code == 200
    assert "at least 5 characters" in response.content.decode()
    assert not Article.objects.exists()


def test_editing_in_admin_keeps_tags_and_slug(client, supervisor, category):
    article = ArticleFactory(slug="keep-me", tags_text=",one,two,")
    client.force_login(supervisor.user)

    client.post(
        f"/admin/knowledge/article/{article.pk}/change/",
        {
            "title": "A renamed article",
            "slug": "keep-me",
            "content": article.content,
            "category": category.pk,
            "tag_list": "one, two, three",
            "language": "en",
            "status": "published",
        },
    )

    article.refresh_from_db()
    assert (article.title, article.slug, article.tags) == ("A renamed article", "keep-me", ["one", "three", "two"])
