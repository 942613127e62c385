"""Messages written before sources were recorded get theirs: an agent's or the system's say
so; a customer's came the way their ticket did (the API's through the API), else the portal
(the column's default, so those rows are not touched).

Not atomic, in batches of BATCH messages by id, each its own short transaction: the rows
are updated without holding 0013's table lock, so pages and the API read and write tickets
and messages throughout (measured at 1M tickets and 2.5M messages: docs/performance.md).
Only rows still holding the default are touched, and only up to the highest id when it
starts: a message written by the new code after 0013 says its own source already. (One
written in the moment between 0013's commit and this reading of the highest id, by a
customer in the portal on an email or API ticket, would be counted as email or API.)
Running it again changes nothing.
"""

from django.db import migrations, transaction

BATCH = 50_000

BACKFILL = """
    UPDATE tickets_message AS m
    SET source = CASE
        WHEN m.author_type IN ('agent', 'system') THEN m.author_type
        WHEN t.channel IN ('api', 'email') THEN t.channel
        ELSE 'portal'
    END
    FROM tickets_ticket AS t
    WHERE t.id = m.ticket_id
      AND m.id >= %s AND m.id < %s
      AND m.source = 'portal'
      AND (m.author_type <> 'customer' OR t.channel IN ('api', 'email'))
"""


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM tickets_message")
        first, last = cursor.fetchone()
    for start in range(first, last + 1, BATCH):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(BACKFILL, [start, start + BATCH])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0013_email_threading")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
