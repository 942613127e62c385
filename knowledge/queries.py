"""The knowledge base's hand-written SQL: the search's statements and expressions
(knowledge.search explains the steps). The candidates are checked against the ORM in
knowledge/tests/test_queries.py.

- `candidate_ids`: the matches worth ranking (step 2).
- `ranked`: the candidates with their ts_rank and ts_headline (steps 3 and 4): the search
  vector is a generated column the models do not declare, and the headline's configuration
  is chosen row by row.
- `similar_titles`: trigram word similarity on the title (step 5), which the ORM has no
  lookup for (`<%`).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, FloatField, QuerySet, TextField
from django.db.models.expressions import RawSQL

from knowledge.models import SEARCH_CONFIGS, Article
from tickets.queries import IsAnyOf

HEADLINE_START, HEADLINE_STOP = "\x01", "\x02"  # ts_headline markers, for knowledge.search.snippet
# The article's own configuration, row by row, spelled from SEARCH_CONFIGS (the generated
# column of migration 0002 spells the same mapping; migrations stay frozen in time).
_ROW_CONFIG = (
    "CASE language "
    + " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in SEARCH_CONFIGS.items() if code != "other"
    )
    + " ELSE 'simple'::regconfig END"
)
# The Markdown source as words: HTML tags and Markdown punctuation dropped, for snippets.
_PLAIN_CONTENT = r"""regexp_replace(regexp_replace(content, '<[^>]*>', ' ', 'g'), '[#*_`>|\[\]()]+', ' ', 'g')"""


def _tsquery(configs: list[str], text: str) -> tuple[str, list[str]]:
    """`text` parsed with each of `configs`, ORed (step 1): SQL and its parameters."""
    parts = " || ".join("websearch_to_tsquery(%s::regconfig, %s)" for _ in configs)
    params = [value for config in configs for value in (config, text)]
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


def candidate_ids(
    articles: QuerySet[Article], *, configs: list[str], text: str, any_word: str, limit: int
) -> list[int]:
    """Ids of the matches worth ranking (step 2): the 2 x `limit` articles of `articles`
    matching `text` with a word of `any_word` in the title, published last, then as many of
    the other matches, highest id first, as make `limit` in all. Both texts are parsed with
    each of `configs` (websearch syntax)."""
    with connection.cursor() as cursor:
        cursor.execute(_DISTINCT_QUERIES, {"configs": configs, "text": text, "any_word": any_word})
        match, any_word_match = cursor.fetchone()
        if match is None:  # only stop words: nothing matches
            return []
        matches = articles.filter(RawSQL("search_vector @@ %s::tsquery", [match], output_field=BooleanField()))
        in_title = matches.filter(RawSQL("title_vector @@ %s::tsquery", [any_word_match], output_field=BooleanField()))
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


def ranked(articles: QuerySet[Article], candidates: list[int], *, configs: list[str], text: str) -> QuerySet[Article]:
    """The `candidates` among `articles`, each annotated with `search_rank` (ts_rank of
    `text` parsed with each of `configs`) and `headline` (ts_headline in the article's own
    configuration, the matches between HEADLINE_START and HEADLINE_STOP)."""
    tsquery, params = _tsquery(configs, text)
    # The SQL text of every RawSQL here is built from constants; the searched words are bound parameters.
    return articles.filter(IsAnyOf(F("pk"), candidates)).annotate(
        search_rank=RawSQL(f"ts_rank(search_vector, {tsquery})", params, output_field=FloatField()),  # noqa: S611  # nosec B611
        # Computed after ORDER BY and LIMIT: for the rows of the page only.
        headline=RawSQL(  # noqa: S611  # nosec B611
            f"ts_headline({_ROW_CONFIG}, {_PLAIN_CONTENT}, {tsquery}, %s)",
            [
                *params,
                f"StartSel={HEADLINE_START}, StopSel={HEADLINE_STOP}, MaxWords=35, MinWords=15, MaxFragments=2",
            ],
            output_field=TextField(),
        ),
    )


def similar_titles(articles: QuerySet[Article], text: str) -> QuerySet[Article]:
    """Articles whose title holds a word similar to `text` (pg_trgm's `<%`, served by the
    title's trigram index), annotated with that word similarity as `search_rank`."""
    similar = articles.filter(RawSQL("%s <%% title", [text], output_field=BooleanField()))
    return similar.annotate(search_rank=RawSQL("word_similarity(%s, title)", [text], output_field=FloatField()))
