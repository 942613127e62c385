# Saved replies are macros now (automation 0002 copies every row first: its run_before).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0023_ticket_time_rule_clocks"),
    ]

    operations = [
        migrations.DeleteModel(name="SavedReply"),
    ]
