"""Automation's Celery tasks (beat entries live in helpdesk/celery.py)."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.db import transaction

from automation import outgoing
from automation.engine import Facts
from automation.models import Event
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
    """A time rules' run (automation.timerules): safe to run twice, or two at once."""
    result = time_rules_run()
    return {
        "firings": result.passed.firings,
        "applied": result.applied.applied,
        "skipped": result.applied.skipped,
        "failed": result.applied.failed,
    }
