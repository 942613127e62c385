"""The channel check of 0005 validated, and the claims' ordering index built, each without
holding the outbox's writers back: VALIDATE CONSTRAINT reads the table under SHARE UPDATE
EXCLUSIVE, and the index is built CONCURRENTLY (so, outside a transaction)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0005_webhooks"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE notifications_notification VALIDATE CONSTRAINT notification_channel_valid",
            migrations.RunSQL.noop,
        ),
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("status__in", ("pending", "failed")), models.Q(("ordering_key", ""), _negated=True)),
                fields=["ordering_key", "id"],
                name="notification_ordering_idx",
            ),
        ),
    ]
