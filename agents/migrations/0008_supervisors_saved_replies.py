"""Supervisors manage saved replies in Django admin."""

from django.db import migrations

from agents.group_permissions import grant


def grant_saved_replies(apps, schema_editor):
    grant(apps, "supervisors", {("tickets", "savedreply"): ("add", "change", "delete", "view")})


class Migration(migrations.Migration):
    dependencies = [("agents", "0007_supervisors_feedback"), ("tickets", "0004_saved_replies")]

    operations = [migrations.RunPython(grant_saved_replies, migrations.RunPython.noop)]
