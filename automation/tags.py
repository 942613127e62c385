"""Rules that name a tag follow it when it is renamed or merged (tickets.tags, which
explains the choice): conditions on tags, and "add tags" / "remove tags" actions of
triggers, time rules and macros. Registered by AutomationConfig.ready."""

from __future__ import annotations

from automation.models import (
    ActionKind,
    Field,
    MacroAction,
    TimeRuleAction,
    TimeRuleCondition,
    TriggerAction,
    TriggerCondition,
)
from automation.vocabulary import tag_names
from tickets.tags import replace_name

TAG_ACTIONS = (ActionKind.ADD_TAGS, ActionKind.REMOVE_TAGS)


def rules_rename_tag(*, old: str, new: str) -> int:
    """Rewrite every condition and action value naming `old` to name `new` (each name once);
    saved row by row, so the audit log and automation's cache see each change. Returns how
    many parts changed."""
    parts = [
        *TriggerCondition.objects.filter(field=Field.TAGS, value__icontains=old),
        *TimeRuleCondition.objects.filter(field=Field.TAGS, value__icontains=old),
        *TriggerAction.objects.filter(kind__in=TAG_ACTIONS, value__icontains=old),
        *TimeRuleAction.objects.filter(kind__in=TAG_ACTIONS, value__icontains=old),
        *MacroAction.objects.filter(kind__in=TAG_ACTIONS, value__icontains=old),
    ]
    changed = 0
    for part in parts:
        names = tag_names(part.value)
        if old not in names:  # "billing" found inside "billing-eu"
            continue
        part.value = ", ".join(replace_name(names, old=old, new=new))
        part.save(update_fields=["value"])
        changed += 1
    return changed
