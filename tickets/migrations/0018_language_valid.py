"""A ticket's language is '' or one of settings.LANGUAGES, in the database too.

Added NOT VALID (a catalog change under a brief lock), then validated in a transaction of its
own: VALIDATE CONSTRAINT reads the table under SHARE UPDATE EXCLUSIVE, which lets reads and
writes go on. A plain ADD CONSTRAINT held tickets_ticket's ACCESS EXCLUSIVE lock for 0.42 s at
a million tickets (`python -m bench.remigrate tickets 0017_translatable_labels
0018_language_valid`, docs/performance.md).
"""

from django.db import migrations, models

CONSTRAINT = models.CheckConstraint(
    condition=models.Q(("language__in", ["", "en", "ru"])), name="ticket_language_valid"
)


class Migration(migrations.Migration):
    atomic = False  # each statement commits on its own: the validation holds no exclusive lock

    dependencies = [
        ("agents", "0014_language_valid"),
        ("sla", "0004_translatable_labels"),
        ("tickets", "0017_translatable_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint(model_name="ticket", constraint=CONSTRAINT)],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE tickets_ticket ADD CONSTRAINT ticket_language_valid "
                    "CHECK (language IN ('', 'en', 'ru')) NOT VALID",
                    "ALTER TABLE tickets_ticket DROP CONSTRAINT ticket_language_valid",
                ),
                migrations.RunSQL(
                    "ALTER TABLE tickets_ticket VALIDATE CONSTRAINT ticket_language_valid",
                    migrations.RunSQL.noop,
                ),
            ],
        )
    ]
