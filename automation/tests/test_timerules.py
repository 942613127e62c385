"""Time rules (issue 23, point 2): once per ticket per state, calendar and business hours,
the re-check when applying, concurrent runs, the demo's rules, the clocks tickets keep."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from agents.roles import actor_for, customer_actor
from automation.models import RuleFiring
from automation.tests.factories import make_rule
from automation.timerules import firings_apply, rules_pass, run_time_rules
from helpdesk.management.commands.seed_demo import seed_time_rules
from notifications.models import Notification
from sla.tests.factories import BusinessCalendarFactory, HolidayFactory
from tickets import services
from tickets.models import EventKind, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def create(category, email="ann@example.org", **kwargs) -> Ticket:
    return services.ticket_create(
        subject="Printer offline",
        description="The office printer stopped answering this morning.",
        customer_email=email,
        category=category,
        actor=customer_actor("Ann", email),
        channel="portal",
        customer_name="Ann",
        auto_assign=False,
        **kwargs,
    )


def to_status(ticket, agent, *statuses) -> Ticket:
    for status in statuses:
        ticket = services.ticket_change_status(ticket=ticket, status=status, actor=actor_for(agent.user))
    return ticket


def reminders(ticket) -> int:
    return Notification.objects.filter(kind="automation.email", recipient=ticket.customer_email).count()


def test_the_demo_rules_remind_after_72_hours_pending_and_close_after_96_hours_resolved(category, agent):
    seed_time_rules()
    seed_time_rules()  # idempotent
    with time_machine.travel(START, tick=False):
        pending = to_status(create(category), agent, "open", "pending")
        resolved = to_status(create(category, email="bob@example.org"), agent, "open", "resolved")
        fresh = to_status(create(category, email="cy@example.org"), agent, "open", "pending")
    with time_machine.travel(START + timedelta(hours=71, minutes=59), tick=False):
        run_time_rules()
    assert reminders(pending) == 0
    with time_machine.travel(START + timedelta(hours=50), tick=False):
        fresh = to_status(fresh, agent, "open", "pending")  # a new state: its 72 h start again

    with time_machine.travel(START + timedelta(hours=73), tick=False):
        first = run_time_rules()
        second = run_time_rules()

    assert first.passed.fired == {"Remind the customer after 3 days pending": 1}
    assert (first.applied.applied, second.passed.firings, second.applied.applied) == (1, 0, 0)
    assert reminders(pending) == 1
    assert reminders(fresh) == 0
    email = Notification.objects.get(kind="automation.email")
    assert f"Reminder: we are waiting for your reply (#{pending.pk})" in email.payload["subject"]
    assert "Hello Ann" in email.payload["text"] and "/portal/" in email.payload["text"]
    resolved.refresh_from_db()
    assert resolved.status == "resolved"

    with time_machine.travel(START + timedelta(hours=97), tick=False):
        call_command("run_time_rules")
    resolved.refresh_from_db()
    assert resolved.status == "closed"
    history = list(
        TicketEvent.objects.filter(ticket=resolved, actor_type="rule").values_list("kind", "actor_name", "new_value")
    )
    assert (EventKind.AUTOMATION, "Close 4 days after resolution", "rule Close 4 days after resolution") in history
    assert (EventKind.STATUS, "Close 4 days after resolution", "closed") in history
    assert reminders(pending) == 1  # still pending, in the same state: never twice


def test_a_new_state_fires_again_once_its_hours_have_passed(category, agent):
    rule = make_rule("status_changed", 10, [("status", "is", "pending")], [("add_note", "", "", "Still waiting.")])
    with time_machine.travel(START, tick=False):
        ticket = to_status(create(category), agent, "open", "pending")
    with time_machine.travel(START + timedelta(hours=11), tick=False):
        assert run_time_rules().applied.applied == 1
        ticket = services.message_create(ticket=ticket, body="Here it is.", actor=customer_actor("Ann", "a@b.c"))
        ticket = to_status(Ticket.objects.get(pk=ticket.ticket_id), agent, "pending")
    with time_machine.travel(START + timedelta(hours=20), tick=False):
        assert run_time_rules().passed.firings == 0  # 9 h into the new state
    with time_machine.travel(START + timedelta(hours=21, minutes=1), tick=False):
        assert run_time_rules().applied.applied == 1
    assert RuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 2
    assert ticket.messages.filter(internal=True, body="Still waiting.").count() == 2


def test_calendar_hours_and_business_hours_with_a_holiday(category, agent):
    # Berlin office, weekdays 9-17; Monday 2026-11-09 is a holiday.
    office = BusinessCalendarFactory()
    HolidayFactory(calendar=office, date=date(2026, 11, 9))
    business = make_rule("status_changed", 2, [("status", "is", "pending")], business_hours=True, calendar=office)
    calendar = make_rule("status_changed", 2, [("status", "is", "pending")])
    friday_four = datetime(2026, 11, 6, 16, 0, tzinfo=BERLIN)
    with time_machine.travel(friday_four, tick=False):
        ticket = to_status(create(category), agent, "open", "pending")

    def fired_at(moment) -> set[int]:
        with time_machine.travel(moment, tick=False):
            rules_pass()
        return set(RuleFiring.objects.filter(ticket=ticket).values_list("rule_id", flat=True))

    assert fired_at(friday_four + timedelta(hours=1, minutes=59)) == set()
    assert fired_at(friday_four + timedelta(hours=2)) == {calendar.pk}
    # One business hour on Friday (16-17); Monday is a holiday; the second hour ends Tuesday 10:00.
    assert fired_at(datetime(2026, 11, 9, 12, 0, tzinfo=BERLIN)) == {calendar.pk}
    assert fired_at(datetime(2026, 11, 10, 9, 59, tzinfo=BERLIN)) == {calendar.pk}
    assert fired_at(datetime(2026, 11, 10, 10, 0, tzinfo=BERLIN)) == {calendar.pk, business.pk}


def test_applying_checks_the_rule_again_and_skips_a_ticket_that_changed(category, agent):
    make_rule("status_changed", 1, [("status", "is", "pending")], [("set_priority", "urgent")])
    with time_machine.travel(START, tick=False):
        changed = to_status(create(category), agent, "open", "pending")
        kept = to_status(create(category, email="bob@example.org"), agent, "open", "pending")
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        assert rules_pass().firings == 2
        services.ticket_update(ticket=changed, actor=actor_for(agent.user), priority="low")  # same status
        services.message_create(ticket=changed, body="Answer", actor=customer_actor("Ann", "ann@example.org"))
        result = firings_apply()

    assert (result.applied, result.skipped) == (1, 1)
    assert not RuleFiring.objects.filter(applied_at=None).exists()
    changed.refresh_from_db()
    kept.refresh_from_db()
    assert (changed.status, changed.priority) == ("open", "low")
    assert kept.priority == "urgent"
    assert not TicketEvent.objects.filter(ticket=changed, kind=EventKind.AUTOMATION).exists()


def test_a_switched_off_rule_fires_nothing_and_its_pending_firings_do_nothing(category, agent):
    rule = make_rule("created", 1, [], [("set_priority", "urgent")])
    with time_machine.travel(START, tick=False):
        ticket = create(category)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        assert rules_pass().firings == 1
        rule.active = False
        rule.save()
        assert rules_pass().rules == 0
        assert firings_apply().skipped == 1
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_applying_is_bounded_per_run(category, agent):
    make_rule("created", 1, [], [("add_tags", "old")])
    with time_machine.travel(START, tick=False):
        tickets = [create(category, email=f"c{i}@example.org") for i in range(5)]
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        rules_pass()
        first = firings_apply(limit=3)
        second = firings_apply(limit=3)
    assert (first.applied, first.left, second.applied, second.left) == (3, True, 2, False)
    assert all(t.tag_names() == ["old"] for t in tickets)


def test_a_firing_whose_action_fails_stays_pending_and_the_others_go_on(category, agent, monkeypatch):
    make_rule("created", 1, [], [("add_tags", "old")])
    with time_machine.travel(START, tick=False):
        broken, fine = create(category), create(category, email="bob@example.org")
    original = services.ticket_update

    def failing(*, ticket, **changes):
        if ticket.pk == broken.pk:
            raise RuntimeError("the database said no")
        return original(ticket=ticket, **changes)

    monkeypatch.setattr("automation.engine.ticket_update", failing)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        rules_pass()
        result = firings_apply()
    assert (result.applied, result.failed) == (1, 1)
    assert RuleFiring.objects.get(ticket=broken).applied_at is None
    assert not TicketEvent.objects.filter(ticket=broken, kind=EventKind.AUTOMATION).exists()
    assert fine.tag_names() == ["old"]


def test_services_keep_the_clocks(category, agent):
    with time_machine.travel(START, tick=False):
        ticket = create(category)
    assert (ticket.status_changed_at, ticket.customer_message_at, ticket.agent_message_at) == (START, START, None)
    later = START + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        services.message_create(ticket=ticket, body="Looking.", actor=actor_for(agent.user))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.status_changed_at, ticket.agent_message_at) == ("open", later, later)
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        services.message_create(ticket=ticket, body="Note.", actor=actor_for(agent.user), internal=True)
        services.message_create(ticket=ticket, body="Thanks!", actor=customer_actor("Ann", "ann@example.org"))
    ticket.refresh_from_db()
    assert ticket.agent_message_at == later  # a note is no reply
    assert ticket.customer_message_at == later + timedelta(hours=1)
    assert ticket.status_changed_at == later  # open stays open
    with time_machine.travel(later + timedelta(hours=2), tick=False):
        services.message_create(ticket=ticket, body="Another.", actor=actor_for(agent.user))
        ticket = to_status(ticket, agent, "pending")
    ticket.refresh_from_db()
    assert ticket.agent_message_at == ticket.status_changed_at == later + timedelta(hours=2)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_fire_and_apply_once(category, agent):
    make_rule("created", 1, [], [("add_note", "", "", "Old ticket.")])
    with time_machine.travel(START, tick=False):
        tickets = [create(category, email=f"c{i}@example.org") for i in range(30)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    results = []

    def run() -> None:
        try:
            start.wait()
            results.append(run_time_rules(now=START + timedelta(hours=2)))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.passed.firings for r in results) == 30
    assert sum(r.applied.applied for r in results) == 30
    assert RuleFiring.objects.filter(applied_at__isnull=False).count() == 30
    for ticket in tickets:
        assert ticket.messages.filter(body="Old ticket.").count() == 1
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.AUTOMATION).count() == 1


def test_a_rule_saved_with_a_triggers_condition_is_left_out_and_the_others_run(category, caplog):
    make_rule("created", 1, [("body", "contains", "refund")], [("add_tags", "x")], name="Behind the back")
    good = make_rule("created", 1, [], [("add_tags", "old")])
    with time_machine.travel(START, tick=False):
        create(category)
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        result = rules_pass()
    assert (result.rules, result.fired) == (1, {good.name: 1})
    assert "Behind the back" in caplog.text


def test_a_run_with_more_firings_than_a_batch_hands_over_until_all_are_applied(category, agent, settings):
    """The beat task applies one batch and queues a task of its own for the rest (eager in
    tests: it runs at once), so a new rule matching many tickets does not wait for beat."""
    from automation.tasks import run_time_rules as run_task

    settings.AUTOMATION_TIME_RULE_BATCH = 2
    make_rule("created", 1, [], [("add_tags", "old")])
    with time_machine.travel(START, tick=False):
        tickets = [create(category, email=f"c{i}@example.org") for i in range(5)]
    with time_machine.travel(START + timedelta(hours=2), tick=False):
        result = run_task()

    assert result["applied"] == 2
    assert not RuleFiring.objects.filter(applied_at=None).exists()
    assert all(Ticket.objects.get(pk=t.pk).tag_names() == ["old"] for t in tickets)
