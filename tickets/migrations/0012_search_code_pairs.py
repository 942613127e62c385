"""Code pairs in the ticket search vector, PostgreSQL only (tickets.search explains why).

helpdesk_code_pairs(vector) is every pair of adjacent lexemes "word -number" (a word not
starting with a digit, then a signed number: "Nimbus-7" is 'nimbus' at n and '-7' at n + 1)
as one positionless lexeme 'nimbus -7'. Read off the vector's own positions, the pair is in
a vector exactly when the phrase 'nimbus' <-> '-7' matches it; a lexeme from the parser
never holds a space, so no word can be mistaken for a pair. Existing vectors gain their
pairs here; tickets.queries' refresh adds them on every write.
"""

from django.db import migrations

CREATE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION helpdesk_code_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT word.lexeme || ' ' || number.lexeme)), ''::tsvector)
    FROM (
        SELECT u.lexeme, position FROM unnest(vector) AS u, unnest(u.positions) AS position
        WHERE u.lexeme ~ '^-[0-9]+$'
    ) AS number
    JOIN (
        SELECT u.lexeme, position FROM unnest(vector) AS u, unnest(u.positions) AS position
        WHERE u.lexeme !~ '^-?[0-9]'
    ) AS word ON word.position = number.position - 1
$$
"""
ADD_PAIRS = "UPDATE tickets_ticket SET search_vector = search_vector || helpdesk_code_pairs(search_vector)"
REMOVE_PAIRS = """
UPDATE tickets_ticket SET search_vector = ts_delete(
    search_vector, ARRAY(SELECT lexeme FROM unnest(search_vector) WHERE strpos(lexeme, ' ') > 0))
"""


def add_pairs(apps, schema_editor):
    schema_editor.execute(CREATE_FUNCTION)
    schema_editor.execute(ADD_PAIRS)


def remove_pairs(apps, schema_editor):
    schema_editor.execute(REMOVE_PAIRS)
    schema_editor.execute("DROP FUNCTION IF EXISTS helpdesk_code_pairs(tsvector)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_compliance_period_index")]

    operations = [migrations.RunPython(add_pairs, remove_pairs)]
