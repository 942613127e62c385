"""Supervisors also edit the knowledge base (articles and FAQs) in Django admin."""

from django.db import migrations

from agents.group_permissions import grant, revoke


def grant_knowledge(apps, schema_editor):
    actions = ("add", "change", "delete", "view")
    grant(apps, "supervisors", {("knowledge", "article"): actions, ("knowledge", "faq"): actions})


def revoke_knowledge(apps, schema_editor):
    revoke(apps, "supervisors", ("knowledge",))


class Migration(migrations.Migration):
    dependencies = [("agents", "0005_working_hours_help"), ("knowledge", "0002_search_postgres")]

    operations = [migrations.RunPython(grant_knowledge, revoke_knowledge)]
