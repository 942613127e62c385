"""Triggers, time rules and macros for tests: `make_trigger(events, conditions, actions)`."""

from __future__ import annotations

from automation import cache
from automation.models import Macro, TimeRule, Trigger

_counter = {"n": 0}


def _name(prefix: str) -> str:
    _counter["n"] += 1
    return f"{prefix} {_counter['n']}"


def make_trigger(events, conditions=(), actions=(), *, name=None, position=0, active=True) -> Trigger:
    """`conditions`: (field, operator, value) or (group, field, operator, value); `actions`:
    (kind, value) or (kind, value, subject, body)."""
    trigger = Trigger.objects.create(
        name=name or _name("Trigger"), events=list(events), position=position, active=active
    )
    for position, condition in enumerate(conditions):
        group, *rest = condition if len(condition) == 4 else ("all", *condition)
        field, operator, value = rest
        trigger.conditions.create(group=group, field=field, operator=operator, value=value, position=position)
    for position, action in enumerate(actions):
        kind, value, subject, body = (*action, "", "")[:4] if len(action) < 4 else action
        trigger.actions.create(kind=kind, value=value, subject=subject, body=body, position=position)
    cache.changed()
    return trigger


def make_rule(clock, hours, conditions=(), actions=(), *, name=None, **fields) -> TimeRule:
    rule = TimeRule.objects.create(name=name or _name("Rule"), clock=clock, hours=hours, **fields)
    for position, condition in enumerate(conditions):
        group, *rest = condition if len(condition) == 4 else ("all", *condition)
        field, operator, value = rest
        rule.conditions.create(group=group, field=field, operator=operator, value=value, position=position)
    for position, action in enumerate(actions):
        kind, value, subject, body = (*action, "", "")[:4] if len(action) < 4 else action
        rule.actions.create(kind=kind, value=value, subject=subject, body=body, position=position)
    cache.changed()
    return rule


def make_macro(name=None, *, reply="", actions=(), **fields) -> Macro:
    macro = Macro.objects.create(name=name or _name("Macro"), reply=reply, **fields)
    for position, action in enumerate(actions):
        kind, value, subject, body = (*action, "", "")[:4] if len(action) < 4 else action
        macro.actions.create(kind=kind, value=value, subject=subject, body=body, position=position)
    return macro
