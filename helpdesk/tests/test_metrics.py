from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_it_serves_prometheus_text_with_request_and_database_metrics(client, django_user_model):
    django_user_model.objects.create(username="someone")  # at least one query through the DB wrapper
    client.get("/api/health")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'django_http_requests_total_by_method_total{method="GET"}' in text
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert "django_db_execute_total{" in text
    assert "django_db_new_connections_total{" in text
