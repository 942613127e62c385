"""The customer's language on each ticket (issue 21). A constant default: PostgreSQL 11+ adds
the column without rewriting the table (ALTER TABLE ... ADD COLUMN ... DEFAULT '' NOT NULL is
a catalog change), so it takes no longer at a million tickets than at ten. Existing tickets
keep '' and are written to in the site's language."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0015_event_link_rotated'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='language',
            field=models.CharField(blank=True, choices=[('en', 'English'), ('ru', 'Русский')], db_default='', default='', max_length=8),
        ),
    ]
