"""Webhooks (docs/webhooks.md), and the outbox's columns for them.

Nothing here reads or rewrites the outbox, which may be large: the new columns are nullable
without a default, or have a constant default (a catalog change, PostgreSQL 11 and later),
and the channel check naming "webhook" is added NOT VALID (it only widens the old one) and
validated by 0006 in a transaction of its own, where it holds no exclusive lock; 0006 also
builds the ordering index concurrently.
"""

import core.outbound
import django.contrib.postgres.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0004_translatable_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Webhook',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('url', models.URLField(help_text='https only, to a public address (or a host of OUTGOING_URL_ALLOWLIST)', max_length=500, validators=[core.outbound.validate_url], verbose_name='URL')),
                ('events', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('ticket.created', 'ticket.created'), ('ticket.updated', 'ticket.updated'), ('message.created', 'message.created'), ('sla.warning', 'sla.warning'), ('sla.violation', 'sla.violation'), ('feedback.received', 'feedback.received'), ('trigger.fired', 'trigger.fired')], max_length=40), blank=True, default=list, size=None, verbose_name='events')),
                ('secret_encrypted', models.TextField(editable=False, verbose_name='secret (encrypted)')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'webhook',
                'verbose_name_plural': 'webhooks',
                'ordering': ['name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
            ],
            options={
                'verbose_name': 'webhook delivery',
                'verbose_name_plural': 'webhook deliveries',
                'ordering': ['-id'],
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('notifications.notification',),
        ),
        migrations.AddField(
            model_name='notification',
            name='latency_ms',
            field=models.IntegerField(blank=True, null=True, verbose_name='latency (ms)'),
        ),
        migrations.AddField(
            model_name='notification',
            name='ordering_key',
            field=models.CharField(blank=True, db_default='', default='', max_length=200, verbose_name='ordering key'),
        ),
        migrations.AddField(
            model_name='notification',
            name='response_status',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='response status'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='channel',
            field=models.CharField(choices=[('email', 'Email'), ('slack', 'Slack'), ('dashboard', 'Dashboard'), ('webhook', 'Webhook')], max_length=20, verbose_name='channel'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name='notification', name='notification_channel_valid'),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.CheckConstraint(condition=models.Q(('channel__in', ['email', 'slack', 'dashboard', 'webhook'])), name='notification_channel_valid'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE notifications_notification DROP CONSTRAINT notification_channel_valid, "
                    "ADD CONSTRAINT notification_channel_valid "
                    "CHECK (channel IN ('email', 'slack', 'dashboard', 'webhook')) NOT VALID",
                    "ALTER TABLE notifications_notification DROP CONSTRAINT notification_channel_valid, "
                    "ADD CONSTRAINT notification_channel_valid CHECK (channel IN ('email', 'slack', 'dashboard'))",
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name='webhook',
            constraint=models.CheckConstraint(condition=models.Q(('events__contained_by', ['ticket.created', 'ticket.updated', 'message.created', 'sla.warning', 'sla.violation', 'feedback.received', 'trigger.fired'])), name='webhook_events_known'),
        ),
    ]
