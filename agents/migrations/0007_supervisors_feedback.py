"""Supervisors read feedback and survey invitations in Django admin."""

from django.db import migrations

from agents.group_permissions import grant, revoke


def grant_feedback(apps, schema_editor):
    grant(apps, "supervisors", {("feedback", "feedback"): ("view",), ("feedback", "surveyinvitation"): ("view",)})


def revoke_feedback(apps, schema_editor):
    revoke(apps, "supervisors", ("feedback",))


class Migration(migrations.Migration):
    dependencies = [("agents", "0006_supervisors_knowledge"), ("feedback", "0001_initial")]

    operations = [migrations.RunPython(grant_feedback, revoke_feedback)]
