"""The title's own tsvector (the A part of search_vector) as a stored column with a GIN index,
PostgreSQL only.

Search ranks the matches with a searched word in the title (they outrank matches in tags or
body) plus the newest matches (knowledge.search). The index finds a rare title word without
reading every match; the stored column makes checking a common one as cheap as reading it
(computing to_tsvector of every title on the way costs ~3 us an article).
"""

from django.db import migrations

CONFIG = """CASE language
    WHEN 'en' THEN 'english'::regconfig WHEN 'ru' THEN 'russian'::regconfig
    WHEN 'de' THEN 'german'::regconfig WHEN 'fr' THEN 'french'::regconfig
    WHEN 'es' THEN 'spanish'::regconfig ELSE 'simple'::regconfig END"""

FORWARD = [
    f"""ALTER TABLE knowledge_article ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
        to_tsvector({CONFIG}, coalesce(title, ''))
    ) STORED""",
    "CREATE INDEX knowledge_article_title_gin ON knowledge_article USING gin (title_vector)",
    "ANALYZE knowledge_article",
]
BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_article_title_gin",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS title_vector",
]


def forward(apps, schema_editor):
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search_postgres")]

    operations = [migrations.RunPython(forward, backward)]
