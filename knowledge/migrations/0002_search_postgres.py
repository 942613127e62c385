"""PostgreSQL search for articles: a weighted tsvector kept current by the database itself.

- search_vector is a STORED generated column: title (A) > tags (B) > content (C), each
  parsed with the text-search configuration of the article's language (knowledge.models.
  SEARCH_CONFIGS), so Russian articles are stemmed as Russian and English as English.
- A GIN index serves `search_vector @@ query`.
- pg_trgm and a trigram GIN index on the title serve the misspelling fallback
  (`query <% title`, word similarity).
"""

from django.db import migrations

CONFIG = """CASE language
    WHEN 'en' THEN 'english'::regconfig WHEN 'ru' THEN 'russian'::regconfig
    WHEN 'de' THEN 'german'::regconfig WHEN 'fr' THEN 'french'::regconfig
    WHEN 'es' THEN 'spanish'::regconfig ELSE 'simple'::regconfig END"""

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector({CONFIG}, coalesce(title, '')), 'A')
     || setweight(to_tsvector({CONFIG}, replace(coalesce(tags_text, ''), ',', ' ')), 'B')
     || setweight(to_tsvector({CONFIG}, coalesce(content, '')), 'C')
    ) STORED""",
    "CREATE INDEX knowledge_article_search_gin ON knowledge_article USING gin (search_vector)",
    "CREATE INDEX knowledge_article_title_trgm ON knowledge_article USING gin (title gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_article_title_trgm",
    "DROP INDEX IF EXISTS knowledge_article_search_gin",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
