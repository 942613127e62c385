"""sla's side of the seams of the apps below it, registered in SlaConfig.ready(): the ticket
lifecycle (tickets.lifecycle) and the Slack webhook a policy names (notifications.channels)."""

from __future__ import annotations

from datetime import datetime

from notifications.channels import register_slack_webhooks
from sla import services
from sla.models import SLAPolicy
from sla.scan import sla_record_if_late
from tickets import lifecycle
from tickets.models import Ticket


def record_late_resolution(*, ticket: Ticket, now: datetime) -> None:
    sla_record_if_late(ticket=ticket, kind="resolution", done_at=now)


def record_late_first_response(*, ticket: Ticket, at: datetime) -> None:
    sla_record_if_late(ticket=ticket, kind="first_response", done_at=at)


def policy_slack_webhook(policy_id: str) -> str:
    """The Slack webhook URL of the policy named by an alert row ("policy:<id>")."""
    policy = SLAPolicy.objects.filter(pk=int(policy_id)).first()
    return policy.slack_webhook_url if policy else ""


def register() -> None:
    register_slack_webhooks("policy", policy_slack_webhook)
    lifecycle.register(lifecycle.DUE_TIMES, services.sla_apply)
    lifecycle.register(lifecycle.STATUS_CHANGING, services.sla_status_changed)
    lifecycle.register(lifecycle.RESOLVED, record_late_resolution)
    lifecycle.register(lifecycle.FIRST_RESPONSE, services.sla_record_first_response)
    lifecycle.register(lifecycle.FIRST_RESPONDED, record_late_first_response)
