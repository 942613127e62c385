"""Article search: PostgreSQL full text with ranking, snippets and a misspelling fallback.

Steps:
1. Parse the query with every language's configuration (or the requested language's and
   'simple') and OR the results: one constant tsquery, so the GIN index on search_vector
   serves the match whatever language each article is in.
2. Pick the candidates: the newest 2 x candidate_limit() matches with a searched word in
   the title (title_vector, the A part of search_vector, GIN-indexed: migration 0003), then
   the newest other matches up to candidate_limit() in all. A common word matches half of
   a big knowledge base, and ranking every match reads every article. A title match
   carries weight A, which outranks tags (B) and body (C), so the best answers are among
   the candidates: on the benchmark's 20,000 articles the first 60 results of every
   benchmark query are the ones ranking every match gives. Matches beyond the candidates
   are not listed (as with ticket search's bound); a list's count is unchanged (see
   candidate_limit()).
3. Rank the candidates with ts_rank (weights make a title match outrank a tag match outrank
   a body match).
4. Snippets with ts_headline in the article's own configuration, markers escaped here; the
   database computes them after ORDER BY and LIMIT, for the page's rows only.
5. Nothing found: trigram word similarity on the title ("pasword" finds "password").

The statements of steps 2 to 5 live in knowledge.queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet, TextField, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge import queries
from knowledge.models import SEARCH_CONFIGS, Article
from knowledge.queries import HEADLINE_START, HEADLINE_STOP
from knowledge.rendering import plain_text
from knowledge.stopwords import STOP_WORDS

MAX_QUERY_LENGTH = 200
SEARCH_CANDIDATES = 1000  # see candidate_limit()


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

    def any_word(self) -> SearchQuery:
        return SearchQuery(self.text, self.language, match_any=True)

    @property
    def configs(self) -> list[str]:
        if self.language:
            return sorted({SEARCH_CONFIGS.get(self.language, "simple"), "simple"})
        return sorted(set(SEARCH_CONFIGS.values()))


def _tsquery_text(query: SearchQuery) -> str:
    return " or ".join(query.words) if query.match_any else query.text


def search_articles(articles: QuerySet[Article], query: SearchQuery) -> QuerySet[Article]:
    """Matching articles, best first, each annotated with `search_rank` and `headline`."""
    text = query.text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return articles
    query = SearchQuery(text, query.language, query.match_any)
    if not query.words:  # nothing but punctuation: nothing to look for
        return articles.none().annotate(search_rank=Value(0), headline=Value("", output_field=TextField()))
    candidates = _candidate_ids(articles, query)
    if candidates:
        found = queries.ranked(articles, candidates, configs=query.configs, text=_tsquery_text(query))
        return found.order_by("-search_rank", "-published_at", "-id")
    similar = queries.similar_titles(articles, text).annotate(headline=Value("", output_field=TextField()))
    return similar.order_by("-search_rank", "-published_at", "-id")


def _candidate_ids(articles: QuerySet[Article], query: SearchQuery) -> list[int]:
    """Ids of the matches worth ranking (step 2): the 2 x candidate_limit() matches with a
    searched word in the title published last, then as many of the newest other matches as
    make candidate_limit() in all."""
    return queries.candidate_ids(
        articles,
        configs=query.configs,
        text=_tsquery_text(query),
        any_word=_tsquery_text(query.any_word()),
        limit=candidate_limit(),
    )


def candidate_limit() -> int:
    """How many candidates are ranked at least (title matches: up to twice as many). Never
    fewer than API lists count, so that a list's count is the one ranking every match gives."""
    return max(SEARCH_CANDIDATES, settings.API_COUNT_LIMIT + 1)


def snippet(article: Article, text: str, *, length: int = 220) -> SafeString:
    """An HTML-safe excerpt with the matched words in <mark>.

    PostgreSQL's ts_headline picked the excerpt; elsewhere it is cut around the first
    matching word. Everything is escaped before the markers become tags.
    """
    headline = getattr(article, "headline", "")
    if headline and HEADLINE_START in headline:
        headline = " ".join(headline.split())
        return mark_safe(escape(headline).replace(HEADLINE_START, "<mark>").replace(HEADLINE_STOP, "</mark>"))  # noqa: S308  # nosec B308 B703
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
