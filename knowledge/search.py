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
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    F,
    FloatField,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from knowledge.models import SEARCH_CONFIGS, Article
from knowledge.rendering import plain_text
from knowledge.stopwords import STOP_WORDS
from tickets.search import IsAnyOf

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
SEARCH_CANDIDATES = 1000  # see candidate_limit()
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

    def any_word(self) -> SearchQuery:
        return SearchQuery(self.text, self.language, match_any=True)

    @property
    def configs(self) -> list[str]:
        if self.language:
            return sorted({SEARCH_CONFIGS.get(self.language, "simple"), "simple"})
        return sorted(set(SEARCH_CONFIGS.values()))


def _tsquery_text(query: SearchQuery) -> str:
    return " or ".join(query.words) if query.match_any else query.text


def _tsquery(query: SearchQuery) -> tuple[str, list[str]]:
    text = _tsquery_text(query)
    parts = " || ".join("websearch_to_tsquery(%s::regconfig, %s)" for _ in query.configs)
    params = [value for config in query.configs for value in (config, text)]
    return f"({parts})", params


# The query of step 1 with each distinct configuration's parse once (several languages parse
# most words alike): what matches is the same, and the planner, which counts every OR
# branch, no longer takes a word parsed alike six times for a common one. Ranks and snippets
# keep the full query (ts_rank of a single AND query is another formula).
_DISTINCT_QUERIES = """
SELECT (
    SELECT string_agg(DISTINCT '(' || parsed::text || ')', ' | ') FROM unnest(%(configs)s::regconfig[]) AS config,
    LATERAL websearch_to_tsquery(config, %(text)s) AS parsed WHERE numnode(parsed) > 0
), (
    SELECT string_agg(DISTINCT '(' || parsed::text || ')', ' | ') FROM unnest(%(configs)s::regconfig[]) AS config,
    LATERAL websearch_to_tsquery(config, %(any_word)s) AS parsed WHERE numnode(parsed) > 0
)
"""


def search_articles(articles: QuerySet[Article], query: SearchQuery) -> QuerySet[Article]:
    """Matching articles, best first, each annotated with `search_rank` and `headline`."""
    text = query.text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return articles
    query = SearchQuery(text, query.language, query.match_any)
    if not query.words:  # nothing but punctuation: nothing to look for
        return articles.none().annotate(search_rank=Value(0), headline=Value("", output_field=TextField()))
    tsquery, params = _tsquery(query)
    candidates = _candidate_ids(articles, query)
    if candidates:
        # The SQL text of these RawSQL is built from constants; the searched words are bound parameters.
        return (
            articles.filter(IsAnyOf(F("pk"), candidates))
            .annotate(
                search_rank=RawSQL(f"ts_rank(search_vector, {tsquery})", params, output_field=FloatField()),  # nosec B611
                # Computed after ORDER BY and LIMIT: for the rows of the page only.
                headline=RawSQL(  # nosec B611
                    f"ts_headline({_ROW_CONFIG}, {_PLAIN_CONTENT}, {tsquery}, %s)",
                    [*params, f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15, MaxFragments=2"],
                    output_field=TextField(),
                ),
            )
            .order_by("-search_rank", "-published_at", "-id")
        )
    similar = articles.filter(RawSQL("%s <%% title", [text], output_field=BooleanField()))
    return similar.annotate(
        search_rank=RawSQL("word_similarity(%s, title)", [text], output_field=FloatField()),
        headline=Value("", output_field=TextField()),
    ).order_by("-search_rank", "-published_at", "-id")


def _candidate_ids(articles: QuerySet[Article], query: SearchQuery) -> list[int]:
    """Ids of the matches worth ranking (step 2): the 2 x candidate_limit() matches with a
    searched word in the title published last, then as many of the newest other matches as
    make candidate_limit() in all."""
    limit = candidate_limit()
    with connection.cursor() as cursor:
        cursor.execute(
            _DISTINCT_QUERIES,
            {"configs": query.configs, "text": _tsquery_text(query), "any_word": _tsquery_text(query.any_word())},
        )
        match, any_word = cursor.fetchone()
        if match is None:  # only stop words: nothing matches
            return []
        matches = articles.filter(RawSQL("search_vector @@ %s::tsquery", [match], output_field=BooleanField()))
        in_title = matches.filter(RawSQL("title_vector @@ %s::tsquery", [any_word], output_field=BooleanField()))
        in_title = in_title.order_by("-published_at", "-pk").values("pk")[: 2 * limit]  # as equal ranks are listed
        in_title_sql, in_title_params = in_title.query.sql_with_params()
        newest_sql, newest_params = matches.order_by().values("pk").query.sql_with_params()
        sql = f"""
            WITH in_title AS MATERIALIZED ({in_title_sql})
            SELECT pk FROM in_title
            UNION ALL
            (SELECT * FROM ({newest_sql}) AS newest WHERE pk NOT IN (SELECT pk FROM in_title)
             ORDER BY pk DESC LIMIT greatest(0, %s - (SELECT count(*) FROM in_title)))
        """  # noqa: S608  # nosec B608  # ORM-compiled SQL of these querysets, every value bound
        cursor.execute(sql, [*in_title_params, *newest_params, limit])
        return [article_id for (article_id,) in cursor.fetchall()]


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
