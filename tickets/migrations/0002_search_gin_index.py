"""GIN index on tickets_ticket.search_vector (the search's WHERE clause)."""

from django.db import migrations


def create_index(apps, schema_editor):
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ticket_search_vector_gin ON tickets_ticket USING gin (search_vector)"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS ticket_search_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
