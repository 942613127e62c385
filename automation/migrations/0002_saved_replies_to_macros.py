"""Saved replies become shared macros that carry only a text (issue 23, point 3).

Every row of tickets_savedreply is copied into automation_macro: the title as the name, the
body as the reply (its placeholders, {customer_name} {ticket_number} {subject}
{agent_name}, are names automation.placeholders knows), the category and created_at as
they were; shared (no owner) with everyone (no team), active. A shared macro already named
like a saved reply keeps its name; the saved reply's copy is named "<title> (saved reply)",
so nothing is lost. tickets 0024 drops the table afterwards (run_before below). Supervisors,
who managed saved replies in Django admin, manage macros.

Backwards, the shared text-only macros are copied back into the table tickets 0024's
reverse made again (a title already there is kept as it is), and removed from the macros.
"""

from django.db import migrations

from agents.group_permissions import grant

COPY = """
    INSERT INTO automation_macro (name, reply, owner_id, team_id, category_id, active, created_at, updated_at)
    SELECT CASE
               WHEN EXISTS (SELECT 1 FROM automation_macro AS m WHERE m.owner_id IS NULL AND m.name = s.title)
               THEN left(s.title, 105) || ' (saved reply)'
               ELSE s.title
           END,
           s.body, NULL, NULL, s.category_id, true, s.created_at, now()
    FROM tickets_savedreply AS s
    ORDER BY s.id
"""

COPY_BACK = """
    WITH text_only AS (
        DELETE FROM automation_macro AS m
        WHERE m.owner_id IS NULL AND m.team_id IS NULL AND m.reply <> ''
          AND NOT EXISTS (SELECT 1 FROM automation_macroaction AS a WHERE a.macro_id = m.id)
        RETURNING m.name, m.reply, m.category_id, m.created_at
    )
    INSERT INTO tickets_savedreply (title, body, category_id, created_at)
    SELECT name, reply, category_id, created_at FROM text_only
    ON CONFLICT (title) DO NOTHING
"""


def copy_saved_replies(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(COPY)


def supervisors_manage_macros(apps, schema_editor):
    """Supervisors managed saved replies in Django admin (agents 0008); now macros."""
    actions = ("add", "change", "delete", "view")
    grant(apps, "supervisors", {("automation", "macro"): actions, ("automation", "macroaction"): actions})


def copy_back(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(COPY_BACK)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("tickets", "0022_alter_ticketevent_kind"),
    ]
    # The saved replies are copied before tickets drops their table.
    run_before = [("tickets", "0024_delete_savedreply")]

    operations = [
        migrations.RunPython(copy_saved_replies, copy_back, elidable=False),
        migrations.RunPython(supervisors_manage_macros, migrations.RunPython.noop, elidable=False),
    ]
