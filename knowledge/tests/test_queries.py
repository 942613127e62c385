"""knowledge.queries against the ORM: the search candidates are the ones the ORM's
SearchVector and SearchQuery select by the rule of knowledge.search's step 2, on varied
articles and queries in English and Russian (hypothesis). Every example builds its rows in
a savepoint it rolls back: hypothesis runs its examples inside one test's transaction."""

from __future__ import annotations

import operator
from datetime import timedelta
from functools import reduce

import pytest
from django.contrib.postgres.search import SearchQuery as OrmSearchQuery
from django.contrib.postgres.search import SearchVector
from django.db.models import Case, Value, When
from django.db.models.functions import Replace
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import rolled_back
from knowledge import queries
from knowledge.models import SEARCH_CONFIGS, Article
from knowledge.search import SearchQuery
from knowledge.tests.factories import ArticleFactory
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

WORDS = ["password", "passwords", "reset", "login", "invoice", "the", "пароль", "паролем", "сменить", "вход"]
TEXTS = [
    *WORDS,
    "reset password",
    '"reset password"',
    "пароль or login",
    "password -login",
    "the a",
    "сменить пароль",
    "absent",
]
# The article's own configuration, row by row (migration 0002's generated column).
ROW_CONFIG = Case(
    *[When(language=code, then=Value(config)) for code, config in SEARCH_CONFIGS.items() if code != "other"],
    default=Value("simple"),
)


def document() -> SearchVector:
    """search_vector as the ORM says it: title (A), tags (B), content (C)."""
    return (
        SearchVector("title", config=ROW_CONFIG, weight="A")
        + SearchVector(Replace("tags_text", Value(","), Value(" ")), config=ROW_CONFIG, weight="B")
        + SearchVector("content", config=ROW_CONFIG, weight="C")
    )


def parsed(text: str, configs: list[str]) -> OrmSearchQuery:
    return reduce(operator.or_, [OrmSearchQuery(text, config=config, search_type="websearch") for config in configs])


def candidates_by_definition(articles, *, configs, text, any_word, limit) -> list[int]:
    matches = articles.annotate(document=document()).filter(document=parsed(text, configs))
    in_title = matches.annotate(title_document=SearchVector("title", config=ROW_CONFIG)).filter(
        title_document=parsed(any_word, configs)
    )
    in_title = list(in_title.order_by("-published_at", "-pk").values_list("pk", flat=True)[: 2 * limit])
    others = matches.exclude(pk__in=in_title).order_by("-pk").values_list("pk", flat=True)
    return in_title + list(others[: max(0, limit - len(in_title))])


def phrase(words) -> str:
    return " ".join(words)


@given(
    articles=st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), max_size=3),  # title words
            st.lists(st.sampled_from(WORDS), max_size=2),  # tags
            st.lists(st.sampled_from(WORDS), max_size=4),  # content words
            st.sampled_from(["en", "ru", "other"]),
            st.sampled_from(["published", "draft", "archived"]),
            st.integers(min_value=0, max_value=5),  # published days ago (ties included)
        ),
        min_size=1,
        max_size=12,
    ),
    text=st.sampled_from(TEXTS),
    language=st.sampled_from([None, "en", "ru"]),
    published_only=st.booleans(),
    limit=st.integers(min_value=1, max_value=4),
)
# More title matches than 2 x limit, of several ages, and body-only matches: both cuts bite.
@example(
    articles=[(["password"], [], [], "en", "published", days % 4) for days in range(5)]
    + [([], ["login"], ["password"], "en", "published", days) for days in range(3)],
    text="password",
    language=None,
    published_only=True,
    limit=2,
)
@example(
    articles=[(["пароль"], [], [], "ru", "published", 3 - days) for days in range(3)]
    + [(["reset"], [], ["паролем"], "ru", "draft", 0) for _ in range(3)],
    text="паролем",
    language="ru",
    published_only=False,
    limit=1,
)
@settings(max_examples=80, deadline=None)
def test_the_search_candidates_are_the_ones_the_orm_selects(articles, text, language, published_only, limit):
    now = timezone.now()
    with rolled_back():
        category = CategoryFactory(slug="general", name="General")
        for title, tags, content, article_language, status, days in articles:
            ArticleFactory(
                category=category,
                title=f"Note {phrase(title)}",
                tags_text="".join(f",{tag}" for tag in tags) + ("," if tags else ""),
                content=f"Some words to read: {phrase(content)}.",
                language=article_language,
                status=status,
                published_at=now - timedelta(days=days) if status != "draft" else None,
            )
        scope = Article.objects.filter(status="published") if published_only else Article.objects.all()
        query = SearchQuery(text, language)
        inputs = {"configs": query.configs, "text": text, "any_word": " or ".join(query.words), "limit": limit}

        found = queries.candidate_ids(scope, **inputs)
        expected = candidates_by_definition(scope, **inputs)

        assert sorted(found) == sorted(expected)
