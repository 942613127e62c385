"""Supervisors also edit the knowledge base (articles and FAQs) in Django admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="supervisors")
    codenames = [f"{action}_{model}" for model in ("article", "faq") for action in ("add", "change", "delete", "view")]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="knowledge", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="supervisors").first()
    if group:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="knowledge"))


class Migration(migrations.Migration):
    dependencies = [("agents", "0005_working_hours_help"), ("knowledge", "0002_search_postgres")]

    operations = [migrations.RunPython(grant, revoke)]
