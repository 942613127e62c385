"""A rule's conditions and actions as lists of rows: checked and written as a whole.

Shared by the API's and admin's forms of triggers, time rules and macros: `condition_rows_errors`
and `action_rows_errors` check a list with the vocabulary's functions (automation.vocabulary)
and answer the errors keyed by the row they concern (`conditions[1].value`); `write_parts`
replaces an instance's rows by a new list in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import models, transaction

from automation.vocabulary import action_errors, condition_errors, flatten

CONDITION_FIELDS = ("group", "field", "operator", "value")
ACTION_FIELDS = ("kind", "value", "subject", "body")


def condition_rows_errors(
    rows: Sequence[Mapping[str, Any]],
    *,
    prefix: str = "conditions",
    check: Callable[[str, str, str], dict[str, list[str]]] = condition_errors,
) -> dict[str, list[str]]:
    """The errors of each row of conditions, as `{"conditions[1].value": [...]}`."""
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        problems = check(row.get("field", ""), row.get("operator", ""), row.get("value", "") or "")
        errors.update(flatten(f"{prefix}[{index}]", problems))
    return errors


def action_rows_errors(
    rows: Sequence[Mapping[str, Any]], *, prefix: str = "actions", **options: Any
) -> dict[str, list[str]]:
    """The errors of each row of actions, as `{"actions[0].subject": [...]}`; `options` go to
    automation.vocabulary.action_errors (webhook_exists)."""
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        problems = action_errors(
            row.get("kind", ""), row.get("value", "") or "", row.get("subject", "") or "", row.get("body", "") or "",
            **options,
        )  # fmt: skip
        errors.update(flatten(f"{prefix}[{index}]", problems))
    return errors


def read_parts(instance: models.Model, related_name: str, fields: Sequence[str]) -> list[dict[str, Any]]:
    """The instance's rows of `related_name` in their order, as dicts of `fields`."""
    return [{name: getattr(row, name) for name in fields} for row in getattr(instance, related_name).all()]


@transaction.atomic
def write_parts(instance: models.Model, related_name: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Replace the instance's rows of `related_name` (its conditions or actions) by `rows`,
    positioned in their order, in one transaction. Rows are written in bulk (no signals per
    row): call it with the instance saved in the same transaction, whose own post_save tells
    whoever keeps the rules (automation.receivers)."""
    manager = getattr(instance, related_name)
    manager.all().delete()
    model, parent = manager.model, manager.field.name
    model.objects.bulk_create(
        [model(**{parent: instance, "position": position, **dict(row)}) for position, row in enumerate(rows)]
    )


class PartsSerializerMixin:
    """For a ModelSerializer of a rule with `conditions` and `actions` rows (triggers, time
    rules): shown as nested lists, and written as a whole with the rule in one transaction.
    A list left out of an update keeps the rule's rows as they are."""

    PARTS = (("conditions", CONDITION_FIELDS), ("actions", ACTION_FIELDS))

    def to_representation(self, instance: models.Model) -> dict[str, Any]:
        data = super().to_representation(instance)
        for related_name, fields in self.PARTS:
            data[related_name] = read_parts(instance, related_name, fields)
        return data

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> models.Model:
        parts = {name: validated_data.pop(name, []) for name, _ in self.PARTS}
        instance = self.Meta.model.objects.create(**validated_data)
        for name, rows in parts.items():
            write_parts(instance, name, rows)
        return instance

    @transaction.atomic
    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        parts = {name: validated_data.pop(name, None) for name, _ in self.PARTS}
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        for name, rows in parts.items():
            if rows is not None:
                write_parts(instance, name, rows)
        return instance
