"""The channel check of 0005 validated, and the claims' ordering index and the webhooks'
delivery-log index built, each without holding the outbox's writers back: VALIDATE
CONSTRAINT reads the table under SHARE UPDATE EXCLUSIVE, and the indexes are built
CONCURRENTLY (so, outside a transaction)."""

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
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("channel", "webhook")),
                fields=["recipient", "id"],
                name="notification_webhook_log_idx",
            ),
        ),
    ]
