"""Issue 19, point 9: /api/health reports a mailbox whose last poll failed as a warning; the
answer stays a 200 (ready), as a failing mailbox is no reason to take the site out of service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core import health
from mail.models import Mailbox
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def mailbox(name: str, **state) -> Mailbox:
    return Mailbox.objects.create(
        name=name, host="imap.example.com", username="support", password_env="IMAP_PASSWORD",
        category=CategoryFactory(slug="general"), **state,
    )  # fmt: skip


def test_a_mailbox_whose_last_poll_failed_is_a_warning_and_the_site_stays_ready(monitor):
    now = timezone.now()
    failed_at = now - timedelta(minutes=3)
    mailbox("Support", last_success_at=now - timedelta(hours=1), last_error_at=failed_at, last_error="LOGIN failed")
    mailbox("Sales", last_success_at=now, last_error_at=now - timedelta(hours=1), last_error="timeout")  # recovered
    mailbox("Never worked", last_error_at=now, last_error="connection refused")
    mailbox("Old one", enabled=False, last_error_at=now, last_error="connection refused")  # not polled
    mailbox("Fine", last_success_at=now)

    response = monitor.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
    assert body["warnings"] == {
        "mail": [
            f"mailbox 'Never worked': the last poll failed at {now.isoformat()}",
            f"mailbox 'Support': the last poll failed at {failed_at.isoformat()}",
        ]
    }
    # The probe is public: the error itself is for admin's eyes only.
    assert "LOGIN failed" not in response.content.decode()


def test_no_warnings_no_key(monitor):
    mailbox("Fine", last_success_at=timezone.now())

    assert "warnings" not in monitor.get("/api/health").json()


def test_a_broken_warning_check_is_a_warning_not_an_error(monitor, monkeypatch):
    def broken() -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setitem(health.WARNING_CHECKS, "broken", broken)
    monkeypatch.setitem(health.WARNING_CHECKS, "noisy", lambda: [f"thing {n}" for n in range(25)])

    response = monitor.get("/api/health")

    assert response.status_code == 200
    warnings = response.json()["warnings"]
    assert warnings["broken"] == ["could not check: RuntimeError"]
    assert warnings["noisy"][-1] == "and 5 more" and len(warnings["noisy"]) == health.WARNINGS_SHOWN + 1


def test_warnings_are_not_read_when_a_dependency_fails(monitor, monkeypatch):
    def failing_cache() -> None:
        raise health.CheckFailed("down")

    called = []
    monkeypatch.setitem(health.CHECKS, "cache", failing_cache)
    monkeypatch.setitem(health.WARNING_CHECKS, "spy", lambda: called.append(1) or ["seen"])

    response = monitor.get("/api/health")

    assert response.status_code == 503
    assert "warnings" not in response.json() and not called
