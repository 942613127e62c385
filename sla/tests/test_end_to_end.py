"""Acceptance 5: a real Celery worker with beat finds a breach and alerts on every channel.

The worker runs in its own process on the suite's database and broker (Redis in the
PostgreSQL + Redis run, kombu's filesystem transport in the embedded run), on a queue of its
own, with the scan every second. Slack is a local HTTP server, email a local SMTP server.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from agents.tests.factories import AgentFactory
from conftest import database_url, production_env, start_worker, stop_worker
from notifications.models import Notification
from sla.models import SLAViolation
from sla.tests.factories import SLAPolicyFactory
from tickets.tests.factories import TicketFactory


def wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_record_a_breach_and_alert_once_on_every_channel(
    tmp_path, fake_slack, smtp_server, category
):
    agent = AgentFactory(email="agnes@helpdesk.example.com", specializations=[category])
    now = timezone.now()
    ticket = TicketFactory(
        subject="Router keeps rebooting",
        category=category,
        status="open",
        assigned_agent=agent,
        sla_policy=SLAPolicyFactory(),
        created_at=now - timedelta(hours=5),
        first_response_due_at=now - timedelta(minutes=1),
        first_response_at_risk_at=now - timedelta(hours=1),
        resolution_due_at=now + timedelta(hours=19),
        resolution_at_risk_at=now + timedelta(hours=14),
    )
    broker = {"CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        broker = {"CELERY_BROKER_URL": "filesystem://localhost/", "CELERY_BROKER_DIR": str(tmp_path / "broker")}
    env = production_env(
        tmp_path,
        **broker,
        DATABASE_URL=database_url(),
        DATABASE_POOL_MAX_SIZE="0",
        CELERY_TASK_DEFAULT_QUEUE=f"e2e-{uuid.uuid4().hex}",
        SLA_SCAN_INTERVAL_SECONDS="1",
        SLACK_WEBHOOK_URL=fake_slack.url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        LOG_LEVEL="INFO",
    )
    worker = start_worker(env, "--beat", "--concurrency=1", "--schedule", str(tmp_path / "beat-schedule"))
    try:
        delivered = wait_for(
            lambda: (
                len(fake_slack.received) >= 1
                and len(smtp_server.messages) >= 1
                and Notification.objects.filter(channel="dashboard", user=agent.user).exists()
            )
        )
        time.sleep(3)  # three more scans: none may record or send anything again
    finally:
        output = stop_worker(worker)

    assert delivered, output[-5000:]
    violation = SLAViolation.objects.get(ticket=ticket)
    assert violation.kind == "first_response"
    assert len(fake_slack.received) == 1
    assert f"#{ticket.pk}" in fake_slack.received[0]["text"]
    assert [m["to"] for m in smtp_server.messages] == [["agnes@helpdesk.example.com"]]
    assert f"#{ticket.pk}" in smtp_server.messages[0]["data"]
    assert Notification.objects.filter(channel="dashboard", user=agent.user).count() == 1
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert worker.returncode == 0, output[-5000:]
