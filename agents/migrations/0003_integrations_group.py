"""The group whose members are integrations (API users who are not agents)."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="integrations")


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="integrations").delete()


class Migration(migrations.Migration):
    dependencies = [("agents", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_group, delete_group)]
