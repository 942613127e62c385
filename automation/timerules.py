"""Time rules: actions for tickets whose clock has run a number of hours (issue 23, point 2).

A run (automation.tasks.run_time_rules, every 5 minutes from beat; the command
`run_time_rules`) does two things:

1. **The pass** (`rules_pass`): one statement for all active rules (automation.queries._SWEEP),
   set-based like the SLA scan, with no loop over tickets. For each rule, every ticket not
   closed whose clock (created, updated, last status change, the customer's last message, an
   agent's last reply) is at or before the rule's cutoff and whose conditions hold (in SQL)
   becomes a firing (rule, ticket, stamp), where the stamp is the clock's value: the state the
   ticket was in. A firing is unique, so a rule fires once per ticket per state however many
   passes run, at once or one after another; a new status change or message is a new state,
   and the rule fires again once enough time has passed since it.
   The cutoff is computed once per rule, in Python: now minus N hours, or the instant N
   business hours before now in the rule's calendar (sla.business_time.
   subtract_business_minutes): "X at least N business hours ago" is "X at or before that
   instant", so the statement compares a column with a parameter.
   Statements per pass: the rules with their calendars, their conditions (and the
   calendars' hours and holidays when a rule counts business hours), one setting, one
   insert: 4 to 6, whatever the number of rules and tickets. A rule whose conditions the
   SQL cannot say (saved behind the vocabulary's back) is left out and logged; the others run.
2. **Applying** (`firings_apply`): the pending firings, oldest first, at most
   AUTOMATION_TIME_RULE_BATCH per run (the rest wait for the next run), each in a
   transaction of its own: claimed with FOR UPDATE SKIP LOCKED (two workers never take the
   same one), the ticket locked, and the rule checked again against the ticket as it is now
   (its clock still the stamp, still past the cutoff, the conditions held, in Python:
   automation.engine). A ticket that changed since the pass matched it is skipped. Then the
   history line ("rule <name>", EventKind.AUTOMATION), the actions through
   automation.engine.apply_actions as Actor(type="rule"), and applied_at, in that
   transaction. A firing whose actions raised stays pending for the next run.

A rule counting from the last update fires again whenever its own actions update the ticket
and the hours pass again: give it a condition its actions undo (a tag it adds, excluded).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from agents.roles import Actor
from automation import outgoing, queries
from automation.engine import Facts, Part, apply_actions, conditions_hold
from automation.models import Clock, RuleFiring, TimeRule
from core.rows import unprepared
from sla.business_time import Schedule, subtract_business_minutes
from tickets.history import record_event
from tickets.models import EventKind, Status, Ticket

logger = logging.getLogger(__name__)

RULE_ACTOR = "rule"


@dataclass(frozen=True)
class CompiledRule:
    pk: int
    name: str
    clock: str
    hours: int
    schedule: Schedule | None  # None: calendar hours
    conditions: tuple[Part, ...]
    actions: tuple[Part, ...]

    def cutoff(self, now: datetime) -> datetime:
        """The latest clock value at which the rule's hours have run at `now`."""
        if self.schedule is None:
            return now - timedelta(hours=self.hours)
        return subtract_business_minutes(now, self.hours * 60, self.schedule)


def active_rules() -> list[CompiledRule]:
    """The active rules, read afresh (a pass every few minutes: no reason to keep them)."""
    rules = (
        TimeRule.objects.filter(active=True)
        .select_related("calendar")
        .prefetch_related("conditions", "calendar__hours", "calendar__holidays")
        .order_by("position", "id")
    )
    return [
        CompiledRule(
            pk=rule.pk,
            name=rule.name,
            clock=rule.clock,
            hours=rule.hours,
            schedule=rule.calendar.schedule() if rule.business_hours and rule.calendar_id else None,
            conditions=tuple(
                Part(group=c.group, field=c.field, operator=c.operator, value=c.value) for c in rule.conditions.all()
            ),
            actions=(),  # read when a firing is applied
        )
        for rule in rules
    ]


def rule_actor(name: str) -> Actor:
    return Actor(type=RULE_ACTOR, name=name)


def clock_value(ticket: Ticket, clock: str) -> datetime | None:
    """The ticket's clock as automation.queries.CLOCKS computes it (kept in step; checked by
    automation/tests/test_queries.py)."""
    if clock == Clock.CREATED:
        return ticket.created_at
    if clock == Clock.UPDATED:
        return ticket.updated_at
    if clock == Clock.STATUS_CHANGED:
        return ticket.status_changed_at or ticket.resolved_at or ticket.updated_at
    if clock == Clock.CUSTOMER_MESSAGE:
        return ticket.customer_message_at or ticket.created_at
    if clock == Clock.AGENT_MESSAGE:
        return ticket.agent_message_at or ticket.first_responded_at
    raise ValueError(clock)


@dataclass
class PassResult:
    now: datetime
    rules: int = 0
    fired: dict[str, int] = field(default_factory=dict)  # rule name -> firings inserted
    duration_ms: float = 0.0

    @property
    def firings(self) -> int:
        return sum(self.fired.values())


def _translatable(rule: CompiledRule) -> bool:
    try:
        queries.conditions_sql(rule.conditions, "check", {})
    except queries.Untranslatable as error:
        logger.error("time rule %r left out: its condition %s cannot be checked by a pass", rule.name, error)
        return False
    return True


def rules_pass(*, now: datetime | None = None, rules: list[CompiledRule] | None = None) -> PassResult:
    """Record the firings of every active rule at `now` (step 1 above), in one transaction."""
    now = now or timezone.now()
    started = time.perf_counter()
    rules = [rule for rule in (active_rules() if rules is None else rules) if _translatable(rule)]
    result = PassResult(now=now, rules=len(rules))
    scans = [queries.RuleScan(rule.pk, rule.clock, rule.cutoff(now), rule.conditions) for rule in rules]
    if scans:
        # Planned for this pass's cutoffs every time (as the SLA scan): once per few minutes,
        # planning costs nothing next to a generic plan made for other values.
        with unprepared(connection), transaction.atomic(), connection.cursor() as cursor:
            counts = queries.rules_pass(cursor, scans, now)
        names = {rule.pk: rule.name for rule in rules}
        result.fired = {names[pk]: count for pk, count in counts.items()}
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


@dataclass
class ApplyResult:
    applied: int = 0  # actions carried out
    skipped: int = 0  # the ticket changed since the pass, or the rule was switched off
    failed: int = 0  # an action raised: left pending for the next run
    left: bool = False  # the batch was full: more may be pending


def _still_due(rule: CompiledRule | None, ticket: Ticket | None, stamp: datetime, cutoff, now: datetime) -> bool:
    """Whether the rule still matches the ticket as it is now, in the state it fired for."""
    if rule is None or ticket is None or ticket.status == Status.CLOSED:
        return False
    clock = clock_value(ticket, rule.clock)
    if clock is None or clock != stamp or clock > cutoff:
        return False
    return conditions_hold(rule.conditions, Facts(ticket=ticket, now=now))


def _actions(rule_pk: int) -> tuple[Part, ...]:
    return tuple(
        Part(kind=a.kind, value=a.value, subject=a.subject, body=a.body)
        for a in TimeRule.objects.get(pk=rule_pk).actions.all()
    )


def _apply_one(firing_pk: int, rule: CompiledRule | None, ticket_id: int, stamp: datetime, cutoff, now) -> bool:
    """Carry out one claimed firing in the caller's transaction: whether its actions ran."""
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    due = _still_due(rule, ticket, stamp, cutoff, now)
    if due:
        actor = rule_actor(rule.name)
        record_event(ticket=ticket, kind=EventKind.AUTOMATION, actor=actor, new=f"{RULE_ACTOR} {rule.name}")
        outcome = apply_actions(
            ticket=ticket, actions=_actions(rule.pk), actor=actor, webhook_call=outgoing.call_webhook
        )
        for reason in outcome.skipped:
            logger.info("ticket %s: time rule %r skipped an action: %s", ticket_id, rule.name, reason)
    RuleFiring.objects.filter(pk=firing_pk).update(applied_at=timezone.now())
    return due


def firings_apply(*, now: datetime | None = None, limit: int | None = None) -> ApplyResult:
    """Apply pending firings (step 2 above), one transaction each, at most `limit`."""
    now = now or timezone.now()
    limit = settings.AUTOMATION_TIME_RULE_BATCH if limit is None else limit
    rules = {rule.pk: rule for rule in active_rules()}
    cutoffs = {pk: rule.cutoff(now) for pk, rule in rules.items()}
    result = ApplyResult()
    failed: list[int] = []
    for _ in range(limit):
        claimed = None
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    claimed = queries.claim_one(cursor, skip=failed)
                if claimed is None:
                    return result
                firing_pk, rule_pk, ticket_id, stamp = claimed
                done = _apply_one(firing_pk, rules.get(rule_pk), ticket_id, stamp, cutoffs.get(rule_pk), now)
        except Exception:
            if claimed is None:
                raise
            # Rolled back, the claim with it: pending again, for the next run.
            logger.exception("time rule firing %s (rule %s, ticket %s) failed", claimed[0], claimed[1], claimed[2])
            failed.append(claimed[0])
            result.failed += 1
            continue
        if done:
            result.applied += 1
        else:
            result.skipped += 1
    result.left = True
    return result


@dataclass
class RunResult:
    passed: PassResult
    applied: ApplyResult


def run_time_rules(*, now: datetime | None = None) -> RunResult:
    """A pass, then the pending firings applied (what beat runs every few minutes)."""
    now = now or timezone.now()
    passed = rules_pass(now=now)
    applied = firings_apply(now=now)
    if passed.firings or applied.applied or applied.skipped or applied.failed:
        logger.info(
            "time rules: %s firings (%s), %s applied, %s skipped, %s failed",
            passed.firings,
            ", ".join(f"{name}: {count}" for name, count in passed.fired.items()),
            applied.applied,
            applied.skipped,
            applied.failed,
        )
    return RunResult(passed=passed, applied=applied)
