from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_it_serves_prometheus_text_with_request_and_database_metrics(monitor, django_user_model):
    django_user_model.objects.create(username="someone")  # at least one query through the DB wrapper
    monitor.get("/api/health")

    response = monitor.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'django_http_requests_total_by_method_total{method="GET"}' in text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert "django_db_execute_total{" in text
    assert "django_db_new_connections_total{" in text


@pytest.mark.django_db
def test_it_counts_tickets_created_by_channel(monitor, agent_api, category, django_capture_on_commit_callbacks):
    def created_via_api() -> float:
        text = monitor.get("/metrics").content.decode()
        line = next(
            (line for line in text.splitlines() if line.startswith('helpdesk_tickets_created_total{channel="api"}')),
            None,
        )
        return float(line.split()[-1]) if line else 0.0

    before = created_via_api()
    with django_capture_on_commit_callbacks(execute=True):
        agent_api.post(
            "/api/support/tickets",
            {
                "subject": "Hi",
                "description": "Something broke today.",
                "customer_email": "a@b.org",
                "category": "general",
            },
            format="json",
        )

    assert created_via_api() == before + 1
    assert (
        'helpdesk_notification_deliveries_total{channel="email",status="sent"}'
        in monitor.get("/metrics").content.decode()
    )


@pytest.mark.django_db
def test_it_serves_sla_and_outbox_figures_from_the_database(monitor, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from core.metrics import DatabaseCollector
    from notifications.tests.factories import NotificationFactory
    from sla.models import SLAScanRun
    from sla.tests.factories import SLAViolationFactory

    SLAViolationFactory.create_batch(2, kind="resolution")
    NotificationFactory(channel="slack", status="pending", created_at=timezone.now() - timedelta(minutes=5))
    SLAScanRun.objects.create(started_at=timezone.now(), duration_ms=250, violations=2, warnings=0, notifications=1)
    monkeypatch.setattr(DatabaseCollector, "CACHE_SECONDS", 0)  # this test wants fresh figures

    text = monitor.get("/metrics").content.decode()

    assert 'helpdesk_sla_violations_total{kind="resolution"} 2.0' in text
    assert 'helpdesk_notifications{channel="slack",status="pending"} 1.0' in text
    age = next(
        line for line in text.splitlines() if line.startswith("helpdesk_notification_oldest_pending_age_seconds")
    )
    assert 290 < float(age.split()[-1]) < 400
    assert "helpdesk_sla_scan_duration_seconds 0.25" in text
