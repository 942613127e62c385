"""Acceptance 3: hostile content is stored as written and rendered harmless."""

from __future__ import annotations

import re

import pytest

from knowledge.models import Article
from knowledge.rendering import render_markdown
from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

HOSTILE = """# Totally normal article

<script>alert('stolen cookies')</script>

<img src="x.png" onerror="alert('img')">

[Click me](javascript:alert('link'))

<a href="javascript:alert(2)" onclick="alert(3)">raw link</a>

<iframe src="https://evil.example.com"></iframe>

[A real link](https://example.com/guide) and **bold** text.
"""


def test_hostile_markdown_is_stored_as_written_and_rendered_harmless(client, category):
    article = ArticleFactory(slug="hostile", content=HOSTILE)

    html = client.get("/kb/hostile").content.decode()
    body = html.split('<div class="article-body">', 1)[1].split("</div>", 1)[0]

    assert Article.objects.get(pk=article.pk).content == HOSTILE
    assert "<script" not in body
    assert "onerror" not in body and "onclick" not in body
    assert "javascript:" not in body
    assert "<iframe" not in body
    assert '<a href="https://example.com/guide" rel="nofollow noopener">A real link</a>' in body
    assert "<strong>bold</strong>" in body
    assert "<h1" in body


def test_the_api_serves_the_same_sanitized_html(anonymous_api, category):
    article = ArticleFactory(content=HOSTILE)

    html = anonymous_api.get(f"/api/support/articles/{article.pk}").json()["html"]

    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert 'rel="nofollow noopener"' in html


def test_titles_are_escaped_on_pages(client, category):
    ArticleFactory(slug="xss-title", title="<script>alert(1)</script> title")

    page = client.get("/kb/xss-title").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_ids_an_article_brings_are_prefixed_and_its_footnotes_still_link():
    """An article must not name an element as the page's own (`csrf`, `main`) or clobber
    a global the page's scripts read: every id gets the kb- prefix, in-page links too."""
    html = str(
        render_markdown(
            '<div id="csrftoken">x</div>\n\n<span id="main">y</span>\n\n'
            "A claim.[^1]\n\n[^1]: The source.\n\n## Setup {#setup}\n\n[Jump](#setup)"
        )
    )

    ids = re.findall(r'\bid="([^"]*)"', html)
    assert ids and all(value.startswith("kb-") for value in ids)
    assert 'id="kb-csrftoken"' in html and 'id="kb-main"' in html
    assert 'id="kb-setup"' in html and 'href="#kb-setup"' in html
    footnote_links = re.findall(r'href="#(kb-fn[^"]*)"', html)
    assert footnote_links and all(f'id="{target}"' in html for target in footnote_links)
