"""Categories as a resource: deleting one that tickets, articles, FAQs or SLA policies name is
refused (their references are PROTECT), with what holds it named."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.protection import protected_by
from core.refusals import Refusal
from tickets.models import Category


class CategoryInUse(Refusal):
    """The category is still named by rows that cannot lose it."""

    def __init__(self, used_by: list[str]) -> None:
        super().__init__(
            _("This category is still used by: %(used_by)s. Move those to another category first.")
            % {"used_by": ", ".join(used_by)}
        )
        self.used_by = used_by

    def payload(self) -> dict[str, Any]:
        return {"detail": str(self), "used_by": self.used_by}


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete `category`, or refuse (CategoryInUse) while anything protected names it. Agents
    lose it from their specialisations; macros offered first for it are offered for any."""
    used_by = protected_by(category)
    if used_by:
        raise CategoryInUse(used_by)
    try:
        category.delete()
    except ProtectedError as error:  # a row named it between the check and the delete
        raise CategoryInUse(sorted({str(row._meta.verbose_name_plural) for row in error.protected_objects})) from error
