"""Acceptance 6 and the public pages: helpful votes, FAQ, suggestions on the ticket form."""

from __future__ import annotations

import pytest
from django.test import Client

from knowledge.models import Article
from knowledge.tests.factories import ArticleFactory, FAQFactory
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(category):
    return ArticleFactory(slug="reset-password", title="Reset a forgotten password", content="Use the link we email.")


def test_the_helpful_buttons_work_without_javascript_once_per_session(article):
    visitor = Client()

    first = visitor.post("/kb/reset-password/helpful", {"helpful": "yes"})
    again = visitor.post("/kb/reset-password/helpful", {"helpful": "no"}, follow=True)
    Client().post("/kb/reset-password/helpful", {"helpful": "no"})  # another visitor

    assert first.status_code == 302
    assert first["Location"] == "/kb/reset-password"
    assert "You already told us about this article." in again.content.decode()
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)


def test_the_page_thanks_a_visitor_who_voted(article):
    visitor = Client()
    visitor.post("/kb/reset-password/helpful", {"helpful": "yes"})

    page = visitor.get("/kb/reset-password").content.decode()

    assert "Thank you for your feedback." in page
    assert 'name="helpful" value="yes"' not in page


def test_the_buttons_need_csrf(article):
    response = Client(enforce_csrf_checks=True).post("/kb/reset-password/helpful", {"helpful": "yes"})

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.helpful_yes == 0


def test_the_api_vote_counts_once_per_session(anonymous_api, article):
    url = f"/api/support/articles/{article.pk}/helpful"

    first = anonymous_api.post(url, {"helpful": True}, format="json")
    second = anonymous_api.post(url, {"helpful": True}, format="json")

    assert first.status_code == 200 and first.json()["helpful_yes"] == 1
    assert second.status_code == 409
    assert anonymous_api.post(url, {"helpful": "maybe"}, format="json").status_code in (400, 409)


def test_votes_are_rate_limited_per_address(article, settings):
    settings.KB_VOTE_RATE = "2/h"
    statuses = [Client().post("/kb/reset-password/helpful", {"helpful": "yes"}).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]


def test_reading_an_article_counts_a_view(client, article):
    client.get("/kb/reset-password")
    client.get("/kb/reset-password")

    assert Article.objects.get(pk=article.pk).view_count == 2


def test_the_article_page_lists_related_articles(client, article):
    ArticleFactory(title="Change your password", slug="change-password")
    ArticleFactory(title="Billing things", slug="billing-things", category=CategoryFactory(slug="billing"))

    page = client.get("/kb/reset-password").content.decode()

    assert "Change your password" in page
    assert "Billing things" not in page


def test_the_index_lists_categories_and_popular_articles(client, article):
    ArticleFactory(title="Most read", view_count=500)

    page = client.get("/kb/").content.decode()

    assert "Popular articles" in page
    assert page.index("Most read") < page.index("Reset a forgotten password")
    assert "General (2)" in page


def test_the_faq_groups_by_category_and_orders_by_priority(client, category):
    billing = CategoryFactory(slug="billing", name="Billing")
    FAQFactory(question="Low priority?", priority=10)
    FAQFactory(question="High priority?", priority=90)
    FAQFactory(question="About invoices?", category=billing)

    page = client.get("/faq/").content.decode()

    assert page.index("Billing") < page.index("About invoices?") < page.index("General")
    assert page.index("High priority?") < page.index("Low priority?")


def test_the_ticket_form_offers_suggestions_as_an_htmx_partial(client, article):
    form = client.get("/portal/tickets/new").content.decode()
    partial = client.get("/kb/suggest", {"subject": "forgotten password"}, HTTP_HX_REQUEST="true")

    assert 'hx-get="/kb/suggest"' in form
    assert 'id="kb-suggestions"' in form
    assert "htmx-2.0.11.min.js" in form
    assert partial.status_code == 200
    assert "Reset a forgotten password" in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_without_javascript_suggestions_show_after_a_failed_submit(client, article):
    page = client.post(
        "/portal/tickets/new", {"subject": "forgotten password", "description": "short"}
    ).content.decode()

    assert "These articles may answer your question" in page
    assert "Reset a forgotten password" in page


def test_short_or_empty_subjects_suggest_nothing(client, article):
    assert client.get("/kb/suggest", {"subject": "pa"}).content.decode().strip() == ""


def test_a_search_past_the_ranking_bound_says_more_than_instead_of_a_count(client, settings, monkeypatch):
    import knowledge.search

    monkeypatch.setattr(knowledge.search, "SEARCH_CANDIDATES", 2)
    settings.API_COUNT_LIMIT = 2  # candidate_limit() is now 3
    for n in range(5):
        ArticleFactory(title=f"Printer setup {n}", content="How to set up the office printer.")

    many = client.get("/kb/", {"q": "printer"}).content.decode()
    ArticleFactory(title="Scanner calibration", content="Calibrate the scanner.")
    one = client.get("/kb/", {"q": "scanner"}).content.decode()

    assert "More than 2 results for" in many
    assert "1 result for" in one
