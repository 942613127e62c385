"""Granting model permissions to a group from a data migration."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions


def grant(apps, group_name: str, permissions: dict[tuple[str, str], tuple[str, ...]]) -> None:
    """Give `group_name` the (app, model) -> actions permissions, creating them if needed.

    Permissions are normally created after all migrations have run; a migration that grants
    them has to create them first.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=group_name)
    Permission = apps.get_model("auth", "Permission")
    for (app_label, model), actions in permissions.items():
        codenames = [f"{action}_{model}" for action in actions]
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def revoke(apps, group_name: str, app_labels: tuple[str, ...]) -> None:
    group = apps.get_model("auth", "Group").objects.filter(name=group_name).first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label__in=app_labels))
