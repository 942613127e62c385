"""Automation's Celery tasks (beat entries live in helpdesk/celery.py)."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.db import transaction

from automation import outgoing
from automation.engine import Facts
from automation.models import Event
from automation.timerules import firings_apply
from automation.timerules import run_time_rules as time_rules_run
from automation.triggers import listening, run_triggers
from sla.models import SLAViolation, SLAWarning
from tickets.models import Ticket

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def sla_events(scan_id: str) -> int:
    """Tell the webhooks subscribed to SLA events what one scan recorded, then run the
    triggers listening for them on its tickets, one ticket per transaction. Returns how many
    tickets the triggers were checked on."""
    scan = uuid.UUID(scan_id)
    with transaction.atomic():
        outgoing.send_sla_events(scan)
    checked = 0
    for event, model in ((Event.SLA_VIOLATION, SLAViolation), (Event.SLA_WARNING, SLAWarning)):
        if not listening(event):
            continue
        ticket_ids = sorted(set(model.objects.filter(scan_id=scan).values_list("ticket_id", flat=True)))
        for ticket_id in ticket_ids:
            with transaction.atomic():
                ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
                if ticket is None:
                    continue
                facts = Facts(ticket=ticket, event=event)
                run_triggers(ticket=ticket, event=event, facts=facts, webhook_call=outgoing.call_webhook)
                checked += 1
    return checked


@shared_task(acks_late=True)
def run_time_rules() -> dict[str, int]:
    """A time rules' run (automation.timerules): safe to run twice, or two at once. When more
    firings wait than one run applies (a new rule matching thousands of tickets), a task of
    their own carries on at once instead of waiting for beat's next run."""
    result = time_rules_run()
    if result.applied.left:
        apply_time_rule_firings.delay()
    return {
        "firings": result.passed.firings,
        "applied": result.applied.applied,
        "skipped": result.applied.skipped,
        "failed": result.applied.failed,
    }


@shared_task(acks_late=True)
def apply_time_rule_firings() -> dict[str, int]:
    """Apply another batch of pending firings, and hand over to a fresh task while some are
    left (each batch is AUTOMATION_TIME_RULE_BATCH firings, one transaction each)."""
    result = firings_apply()
    if result.left and result.applied + result.skipped:
        apply_time_rule_firings.delay()
    return {"applied": result.applied, "skipped": result.skipped, "failed": result.failed}
