"""What keeps a row from being deleted, asked before deleting it.

Django's deletion answers a PROTECT reference with ProtectedError carrying every protecting
row: for a category of a million tickets that is a million tickets read to say no. Here each
PROTECT relation is asked whether one row exists (an index probe each), and the answer is
the relations' names, for a 409 that says what to change first.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models


def protected_by(instance: models.Model) -> list[str]:
    """The plural names (for a reader) of the kinds of rows whose PROTECT reference to
    `instance` holds it, in the order of the apps; empty when it may be deleted. Every model
    is looked at, so a reference without a reverse name (related_name="+") counts too."""
    names = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.many_to_one and field.concrete and field.related_model is type(instance)):
                continue
            if field.remote_field.on_delete is not models.PROTECT:
                continue
            if model._base_manager.filter(**{field.name: instance}).exists():
                names.append(str(model._meta.verbose_name_plural))
    return names
