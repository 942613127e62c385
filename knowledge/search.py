"""Article search: PostgreSQL full text with ranking, snippets and a misspelling fallback;
a word-matching fallback on SQLite.

PostgreSQL steps:
1. Parse the query with every language's configuration (or the requested language's and
   'simple') and OR the results: one constant tsquery, so the GIN index on search_vector
   serves the match whatever language each article is in.
2. Rank with ts_rank (weights make a title match outrank a tag match outrank a body match).
3. Snippets with ts_headline in the article's own configuration, markers escaped here.
4. Nothing found: trigram word similarity on the title ("pasword" finds "password").
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge.models import SEARCH_CONFIGS, Article
from knowledge.rendering import plain_text
from knowledge.stopwords import STOP_WORDS

_START, _STOP = "\x01", "\x02"  # ts_headline markers, replaced by <mark> after escaping
# The article's own configuration, row by row, spelled from SEARCH_CONFIGS (the generated
# column of migration 0002 spells the same mapping; migrations stay frozen in time).
_ROW_CONFIG = (
    "CASE language "
    + " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in SEARCH_CONFIGS.items() if code != "other"
    )
    + " ELSE 'simple'::regconfig END"
)
MAX_QUERY_LENGTH = 200
# The Markdown source as words: HTML tags and Markdown punctuation dropped, for snippets.
_PLAIN_CONTENT = r"""regexp_replace(regexp_replace(content, '<[^>]*>', ' ', 'g'), '[#*_`>|\[\]()]+', ' ', 'g')"""


@dataclass(frozen=True)
class SearchQuery:
    """What to look for. `match_any` (suggestions) ranks articles by how many of the words
    they hold instead of requiring them all (the search box)."""

    text: str
    language: str | None = None
    match_any: bool = False

    @property
    def words(self) -> list[str]:
        words = [word.strip(".,;:!?\"'()[]{}<>*#@&%$^~`|/\\+=-_") for word in self.text.lower().split()]
        words = [word for word in words if word]
        meaningful = [word for word in words if len(word) >= 2 and word not in STOP_WORDS]
        return meaningful or words

    @property
    def configs(self) -> list[str]:
        if self.language:
            return sorted({SEARCH_CONFIGS.get(self.language, "simple"), "simple"})
        return sorted(set(SEARCH_CONFIGS.values()))


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def _tsquery(query: SearchQuery) -> tuple[str, list[str]]:
    text = " or ".join(query.words) if query.match_any else query.text
    parts = " || ".join("websearch_to_tsquery(%s::regconfig, %s)" for _ in query.configs)
    params = [value for config in query.configs for value in (config, text)]
    return f"({parts})", params


def search_articles(articles: QuerySet[Article], query: SearchQuery) -> QuerySet[Article]:
    """Matching articles, best first, each annotated with `search_rank` and `headline`."""
    text = query.text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return articles
    query = SearchQuery(text, query.language, query.match_any)
    if not query.words:  # nothing but punctuation: nothing to look for
        return articles.none().annotate(search_rank=Value(0), headline=Value("", output_field=TextField()))
    if uses_full_text():
        tsquery, params = _tsquery(query)
        # The SQL text of these RawSQL is built from constants; the searched words are bound parameters.
        matches = articles.filter(RawSQL(f"search_vector @@ {tsquery}", params, output_field=BooleanField()))  # nosec B611
        if matches.exists():
            return matches.annotate(
                search_rank=RawSQL(f"ts_rank(search_vector, {tsquery})", params, output_field=FloatField()),  # nosec B611
                headline=RawSQL(  # nosec B611
                    f"ts_headline({_ROW_CONFIG}, {_PLAIN_CONTENT}, {tsquery}, %s)",
                    [*params, f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15, MaxFragments=2"],
                    output_field=TextField(),
                ),
            ).order_by("-search_rank", "-published_at", "-id")
        similar = articles.filter(RawSQL("%s <%% title", [text], output_field=BooleanField()))
        return similar.annotate(
            search_rank=RawSQL("word_similarity(%s, title)", [text], output_field=FloatField()),
            headline=Value("", output_field=TextField()),
        ).order_by("-search_rank", "-published_at", "-id")
    # SQLite: each word somewhere in title, tags or content, compared in lower case by
    # Python (SQLite's own lower() and LIKE fold ASCII letters only: "Пароль" != "пароль").
    folded = articles.annotate(
        _title=Func(F("title"), function="PY_LOWER", output_field=TextField()),
        _body=Func(
            Concat(F("tags_text"), Value(" "), F("content"), output_field=TextField()),
            function="PY_LOWER",
            output_field=TextField(),
        ),
    )
    hits = [Q(_title__contains=word) | Q(_body__contains=word) for word in query.words]
    matched = sum((Case(When(hit, then=Value(1)), default=Value(0)) for hit in hits), Value(0))
    in_title = Case(When(_title__contains=query.words[0], then=Value(1)), default=Value(0))
    if query.match_any:
        folded = folded.filter(reduce(operator.or_, hits))
    else:
        for hit in hits:
            folded = folded.filter(hit)
    return folded.annotate(
        search_rank=ExpressionWrapper(matched * 2 + in_title, output_field=IntegerField()),
        headline=Value("", output_field=TextField()),
    ).order_by("-search_rank", "-published_at", "-id")


def snippet(article: Article, text: str, *, length: int = 220) -> SafeString:
    """An HTML-safe excerpt with the matched words in <mark>.

    PostgreSQL's ts_headline picked the excerpt; elsewhere it is cut around the first
    matching word. Everything is escaped before the markers become tags.
    """
    headline = getattr(article, "headline", "")
    if headline and _START in headline:
        headline = " ".join(headline.split())
        return mark_safe(escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308  # nosec B308 B703
    body = plain_text(article.content)
    words = SearchQuery(text).words
    lowered = body.lower()
    first = min((lowered.find(word) for word in words if word in lowered), default=-1)
    start = max(0, first - length // 3) if first >= 0 else 0
    excerpt = body[start : start + length]
    marked = escape(excerpt)
    for word in sorted(set(words), key=len, reverse=True):
        marked = _mark(marked, escape(word))
    prefix, suffix = ("…" if start else ""), ("…" if start + length < len(body) else "")
    return mark_safe(prefix + marked + suffix)  # noqa: S308  # nosec B308 B703  # escaped above, only <mark> added


def _mark(html: str, word: str) -> str:
    if not word:
        return html
    out, lowered, position = [], html.lower(), 0
    while (found := lowered.find(word, position)) >= 0:
        out += [html[position:found], "<mark>", html[found : found + len(word)], "</mark>"]
        position = found + len(word)
    out.append(html[position:])
    return "".join(out)
