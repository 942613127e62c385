"""The group that gives supervisors and admins their Django admin permissions.

Supervisors manage agents, categories, tags, SLA policies and calendars, and read tickets,
violations and the notification outbox (re-queueing dead rows).
"""

from django.db import migrations

from agents.group_permissions import grant

GROUP = "supervisors"
PERMISSIONS = {
    ("agents", "agent"): ("add", "change", "delete", "view"),
    ("tickets", "category"): ("add", "change", "delete", "view"),
    ("tickets", "tag"): ("add", "change", "delete", "view"),
    ("tickets", "ticket"): ("view",),
    ("sla", "slapolicy"): ("add", "change", "delete", "view"),
    ("sla", "businesscalendar"): ("add", "change", "delete", "view"),
    ("sla", "businesshours"): ("add", "change", "delete", "view"),
    ("sla", "holiday"): ("add", "change", "delete", "view"),
    ("sla", "slaviolation"): ("view",),
    ("sla", "slawarning"): ("view",),
    ("sla", "slascanrun"): ("view",),
    ("notifications", "notification"): ("change", "view"),
}


def create_group(apps, schema_editor):
    grant(apps, GROUP, PERMISSIONS)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_integrations_group"),
        ("sla", "0001_initial"),
        ("tickets", "0003_ticket_first_response_at_risk_at_and_more"),
        ("notifications", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
