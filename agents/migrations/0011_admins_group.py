"""Agents with the admin role read the audit log, manage API tokens and lift sign-in locks in
Django admin (the "admins" group, kept in step with the role by agents.services.sync_staff_flag)."""

from django.db import migrations

from agents.group_permissions import grant


def grant_admins(apps, schema_editor):
    grant(
        apps,
        "admins",
        {
            ("auditlog", "logentry"): ("view",),
            ("knox", "authtoken"): ("add", "delete", "view"),
            ("axes", "accessattempt"): ("delete", "view"),
            ("axes", "accessfailurelog"): ("view",),
        },
    )
    group = apps.get_model("auth", "Group").objects.get(name="admins")
    for agent in apps.get_model("agents", "Agent").objects.filter(role="admin").select_related("user"):
        agent.user.groups.add(group)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0010_hash_api_tokens"),
        ("auditlog", "0017_add_actor_email"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant_admins, migrations.RunPython.noop)]
