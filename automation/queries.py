"""Automation's hand-written SQL: the time rules' pass and the claim of their firings
(automation.timerules explains both). automation/tests/test_queries.py runs each statement
beside its ORM equivalent, and the conditions beside automation.engine.conditions_hold.

A statement is composed of constant fragments chosen by the rules' shape (their clocks and
the fields and operators of their conditions); every value (a status, a name, a cutoff) is a
bound parameter, never text of the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from automation.models import Clock, Field, Group
from automation.models import Operator as Op
from automation.vocabulary import tag_names
from tickets.models import Status

# What each clock counts hours from. The columns kept for time rules (tickets 0023) are
# null on tickets written before them; each falls back on what stood for it then
# (docs/features.md, "Time rules"): a status change on the resolution for a resolved ticket,
# else on the last update (never earlier than the change, so a rule fires late rather than
# early); the customer's last message on the creation (the description is their first); an
# agent's last reply on the first response (a ticket nobody answered has no such clock and
# matches no rule counting from it). timerules.clock_value is the same in Python.
CLOCKS: dict[str, str] = {
    Clock.CREATED: "t.created_at",
    Clock.UPDATED: "t.updated_at",
    Clock.STATUS_CHANGED: "COALESCE(t.status_changed_at, t.resolved_at, t.updated_at)",
    Clock.CUSTOMER_MESSAGE: "COALESCE(t.customer_message_at, t.created_at)",
    Clock.AGENT_MESSAGE: "COALESCE(t.agent_message_at, t.first_responded_at)",
}

# The candidates: every ticket not closed (a closed ticket never changes again). Spelled as
# a list rather than "<> 'closed'" so that the status indexes can serve it.
CANDIDATE_STATUSES = tuple(status for status in Status.values if status != Status.CLOSED)
assert CANDIDATE_STATUSES == ("new", "open", "pending", "on_hold", "resolved")  # nosec B101  # _BRANCH spells them

# Columns compared as they are (codes validated on save; stored lower-case).
_CODES = {Field.STATUS: "t.status", Field.PRIORITY: "t.priority", Field.CHANNEL: "t.channel"}
# Relations named by a word: the ids it names (a subquery), and the ticket's column.
_NAMED = {
    Field.CATEGORY: ("t.category_id", "SELECT id FROM tickets_category WHERE lower(slug) = lower({p})"),
    Field.TEAM: ("t.team_id", "SELECT id FROM agents_team WHERE lower(name) = lower({p})"),
    Field.ASSIGNEE: (
        "t.assigned_agent_id",
        "SELECT a.id FROM agents_agent a JOIN auth_user u ON u.id = a.user_id WHERE lower(u.username) = lower({p})",
    ),
    Field.ORGANIZATION: (
        "t.customer_id",
        "SELECT c.id FROM customers_customer c JOIN customers_organization o ON o.id = c.organization_id"
        " WHERE lower(o.name) = lower({p})",
    ),
}
_HAS_ORGANIZATION = (
    "EXISTS (SELECT 1 FROM customers_customer c WHERE c.id = t.customer_id AND c.organization_id IS NOT NULL)"
)
_TAGGED = (
    "FROM tickets_ticket_tags tt JOIN tickets_tag g ON g.id = tt.tag_id WHERE tt.ticket_id = t.id AND g.name = ANY({p})"
)
_DOMAIN = "lower(substring(t.customer_email from '[^@]*$'))"


class Untranslatable(ValueError):
    """A condition the pass cannot ask in SQL (automation.vocabulary.TIME_RULE_FIELDS
    refuses it on save; a row written behind the vocabulary's back lands here)."""


def like_pattern(text: str, *, starts: bool = True, ends: bool = True) -> str:
    r"""`text` as a LIKE pattern matching it literally (\ escapes % and _), inside %...%."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{'%' if starts else ''}{escaped}{'%' if ends else ''}"


def condition_sql(field: str, operator: str, value: str, name: str, params: dict[str, Any]) -> str:
    """One condition as a boolean SQL expression over `t` (tickets_ticket), never NULL (so
    that NOT and OR read as the engine's Python does); its value bound as `name` in `params`.
    The same answers as automation.engine._holds, which compares case-insensitively."""
    wanted = (value or "").strip()
    p = f"%({name})s"
    if field in _CODES:
        column = _CODES[field]
        if operator in (Op.IS, Op.IS_NOT):
            params[name] = wanted.lower()
            return f"{column} {'=' if operator == Op.IS else '<>'} {p}"
    elif field in _NAMED:
        column, ids = _NAMED[field]
        if operator == Op.IS_SET:
            return _HAS_ORGANIZATION if field == Field.ORGANIZATION else f"{column} IS NOT NULL"
        if operator == Op.NOT_SET:
            return f"NOT {_HAS_ORGANIZATION}" if field == Field.ORGANIZATION else f"{column} IS NULL"
        if operator in (Op.IS, Op.IS_NOT):
            params[name] = wanted
            inside = f"{column} IN ({ids.format(p=p)})"
            return inside if operator == Op.IS else f"({column} IS NULL OR NOT {inside})"
    elif field == Field.TAGS:
        names = tag_names(wanted)
        if operator == Op.INCLUDES:
            params[name], params[f"{name}_n"] = sorted(set(names)), len(set(names))
            return f"(SELECT count(*) {_TAGGED.format(p=p)}) = %({name}_n)s"  # tag names are unique
        if operator == Op.EXCLUDES:
            params[name] = sorted(set(names))
            return f"NOT EXISTS (SELECT 1 {_TAGGED.format(p=p)})"
    elif field == Field.CUSTOMER_EMAIL:
        if operator in (Op.IS, Op.IS_NOT):
            params[name] = wanted.lower()
            return f"lower(t.customer_email) {'=' if operator == Op.IS else '<>'} {p}"
        if operator == Op.CONTAINS:
            params[name] = like_pattern(wanted)
            return f"t.customer_email ILIKE {p}"
        if operator == Op.ENDS_WITH:
            params[name] = like_pattern(wanted, ends=False)
            return f"t.customer_email ILIKE {p}"
    elif field == Field.CUSTOMER_DOMAIN:
        if operator in (Op.IS, Op.IS_NOT):
            params[name] = wanted.lower()
            return f"{_DOMAIN} {'=' if operator == Op.IS else '<>'} {p}"
    elif field == Field.SUBJECT and operator in (Op.CONTAINS, Op.NOT_CONTAINS):
        params[name] = like_pattern(wanted)
        return f"t.subject {'ILIKE' if operator == Op.CONTAINS else 'NOT ILIKE'} {p}"
    raise Untranslatable(f"{field} {operator}")


def conditions_sql(conditions: Sequence, prefix: str, params: dict[str, Any]) -> str:
    """Every "all" condition, and one "any" condition at least if there are any (as
    engine.conditions_hold); `conditions`: parts with group, field, operator and value."""
    every, some = [], []
    for index, part in enumerate(conditions):
        sql = condition_sql(part.field, part.operator, part.value, f"{prefix}c{index}", params)
        (some if part.group == Group.ANY else every).append(f"({sql})")
    if some:
        every.append("(" + " OR ".join(some) + ")")
    return " AND ".join(every) or "true"


@dataclass(frozen=True)
class RuleScan:
    """What the pass asks for one rule: tickets whose `clock` is at or before `cutoff`."""

    pk: int
    clock: str
    cutoff: datetime
    conditions: tuple = ()


_BRANCH = """
    SELECT {rule}::bigint AS rule_id, t.id AS ticket_id, {clock} AS stamp
      FROM tickets_ticket t
     WHERE t.status IN ('new', 'open', 'pending', 'on_hold', 'resolved') AND {clock} <= {cutoff} AND {conditions}
       AND NOT EXISTS (SELECT 1 FROM automation_rulefiring f
                        WHERE f.rule_id = {rule} AND f.ticket_id = t.id AND f.stamp = {clock})"""


def _matched(rules: Sequence[RuleScan], params: dict[str, Any]) -> str:
    """The UNION ALL of each rule's tickets not yet fired in their current state."""
    branches = []
    for index, rule in enumerate(rules):
        prefix = f"r{index}"
        params[prefix], params[f"{prefix}_cutoff"] = rule.pk, rule.cutoff
        branches.append(
            _BRANCH.format(
                rule=f"%({prefix})s",
                clock=CLOCKS[rule.clock],
                cutoff=f"%({prefix}_cutoff)s",
                conditions=conditions_sql(rule.conditions, prefix, params),
            )
        )
    return "\n    UNION ALL".join(branches)


# The pass in one statement whatever the number of rules: every match inserted as a firing
# (rule, ticket, stamp), in that order (two passes at once wait on each other in the same
# order, never deadlock); a row another pass inserted first is not returned. Answers the
# firings inserted per rule.
_SWEEP = """
WITH matched AS ({matched}
),
fired AS (
    INSERT INTO automation_rulefiring (rule_id, ticket_id, stamp, created_at)
    SELECT rule_id, ticket_id, stamp, %(now)s FROM matched ORDER BY rule_id, ticket_id, stamp
    ON CONFLICT (rule_id, ticket_id, stamp) DO NOTHING
    RETURNING rule_id
)
SELECT rule_id, count(*) FROM fired GROUP BY rule_id
"""

# For this transaction only (as sla.queries' scan): jit off (the estimates of a pass over
# every open ticket are far above jit_above_cost; compiling costs more than it saves for a
# statement that runs once).
_SWEEP_SETTINGS = "SELECT set_config('jit', 'off', true)"


def rules_pass(cursor, rules: Sequence[RuleScan], now: datetime) -> dict[int, int]:
    """Insert the firings of `rules` at `now` (_SWEEP) in the caller's transaction: how many
    per rule (rules that fired nothing are left out)."""
    if not rules:
        return {}
    params: dict[str, Any] = {"now": now}
    statement = _SWEEP.format(matched=_matched(rules, params))
    cursor.execute(_SWEEP_SETTINGS)
    cursor.execute(statement, params)
    return dict(cursor.fetchall())


_MATCHES = "SELECT rule_id, ticket_id, stamp FROM ({matched}) AS matched"


def matches(cursor, rules: Sequence[RuleScan]) -> set[tuple[int, int, datetime]]:
    """What the pass would insert, inserting nothing: (rule, ticket, stamp)."""
    if not rules:
        return set()
    params: dict[str, Any] = {}
    cursor.execute(_MATCHES.format(matched=_matched(rules, params)), params)
    return set(cursor.fetchall())


# The oldest pending firing no other worker holds, locked until the caller's transaction
# ends (the partial index rule_firing_pending_idx, in its order).
_CLAIM = """
SELECT id, rule_id, ticket_id, stamp FROM automation_rulefiring
 WHERE applied_at IS NULL {skip}
 ORDER BY created_at, id
 LIMIT 1
 FOR UPDATE SKIP LOCKED
"""


def claim_one(cursor, *, skip: Sequence[int] = ()) -> tuple[int, int, int, datetime] | None:
    """Claim one pending firing (_CLAIM): (id, rule, ticket, stamp), or None. `skip`: ids
    this worker gave up on in this run (left pending for the next)."""
    if skip:
        cursor.execute(_CLAIM.format(skip="AND NOT (id = ANY(%(skip)s))"), {"skip": list(skip)})
    else:
        cursor.execute(_CLAIM.format(skip=""))
    return cursor.fetchone()
