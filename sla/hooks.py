"""sla's side of the ticket lifecycle (tickets.lifecycle), registered in SlaConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from sla import services
from sla.scan import sla_record_if_late
from tickets import lifecycle
from tickets.models import Ticket


def record_late_resolution(*, ticket: Ticket, now: datetime) -> None:
    sla_record_if_late(ticket=ticket, kind="resolution", done_at=now)


def record_late_first_response(*, ticket: Ticket, at: datetime) -> None:
    sla_record_if_late(ticket=ticket, kind="first_response", done_at=at)


def register() -> None:
    lifecycle.register(lifecycle.DUE_TIMES, services.sla_apply)
    lifecycle.register(lifecycle.STATUS_CHANGING, services.sla_status_changed)
    lifecycle.register(lifecycle.RESOLVED, record_late_resolution)
    lifecycle.register(lifecycle.FIRST_RESPONSE, services.sla_record_first_response)
    lifecycle.register(lifecycle.FIRST_RESPONDED, record_late_first_response)
