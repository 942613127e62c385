"""The address of a CC who wrote a customer-side message (issue 22, point 6). A constant
default: PostgreSQL 11+ adds the column without rewriting the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0019_teams_customers_ccs_followers"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="author_email",
            field=models.EmailField(blank=True, db_default="", default="", max_length=254, verbose_name="author email"),
        ),
    ]
