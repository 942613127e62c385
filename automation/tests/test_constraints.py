"""The database refuses a rule's row that is no word of the vocabulary, however it is written
(a bulk import, a shell, a data migration), not only when the API or admin checks it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from automation.models import TimeRule, Trigger
from automation.tests.factories import make_macro, make_rule, make_trigger

pytestmark = pytest.mark.django_db


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_words_of_the_vocabulary_are_written():
    trigger = make_trigger(["ticket.created"], [("priority", "is", "high")], [("add_tags", "vip")])
    assert trigger.conditions.count() == 1 and trigger.actions.count() == 1


@pytest.mark.parametrize(
    "column, value",
    [("group", "one"), ("field", "mood"), ("operator", "resembles")],
)
def test_a_condition_outside_the_vocabulary_is_refused(column, value):
    trigger = make_trigger(["ticket.created"], actions=[("add_tags", "x")])
    rule = make_rule("status_changed", 2, actions=[("add_tags", "x")])
    row = {"group": "all", "field": "priority", "operator": "is", "value": "high", column: value}
    assert _refused(lambda: trigger.conditions.create(**row))
    assert _refused(lambda: rule.conditions.create(**row))


def test_an_action_outside_the_vocabulary_is_refused():
    trigger = make_trigger(["ticket.created"], actions=[("add_tags", "x")])
    rule = make_rule("status_changed", 2, actions=[("add_tags", "x")])
    macro = make_macro(reply="Hello")
    for rows in (trigger.actions, rule.actions, macro.actions):
        assert _refused(lambda rows=rows: rows.create(kind="delete_everything", value=""))


def test_a_trigger_needs_known_events_and_a_rule_a_known_clock():
    assert _refused(lambda: Trigger.objects.create(name="Odd event", events=["ticket.created", "moon_rose"]))
    assert _refused(lambda: Trigger.objects.create(name="No event", events=[]))
    assert _refused(lambda: TimeRule.objects.create(name="Odd clock", clock="sunrise", hours=2))
