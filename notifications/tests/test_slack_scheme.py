"""A Slack webhook is only ever opened as http(s): urlopen would read file: and ftp: URLs too."""

from __future__ import annotations

import pytest

from notifications.channels import DeliveryError, SlackChannel
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://files.example.com/hook", "FILE:///etc/hostname"])
def test_a_webhook_that_is_not_http_is_refused_for_good(settings, url):
    settings.SLACK_WEBHOOK_URL = url
    row = NotificationFactory(channel="slack", recipient="default", payload={"title": "SLA breached"})

    with pytest.raises(DeliveryError) as refused:
        SlackChannel().send(row)

    assert str(refused.value) == "refused by policy: only http(s) URLs can be called"
    assert refused.value.retryable is False


def test_an_http_webhook_is_still_called(fake_slack):
    row = NotificationFactory(channel="slack", recipient="default", payload={"title": "SLA breached"})

    SlackChannel().send(row)

    assert fake_slack.received and "SLA breached" in fake_slack.received[0]["text"]


def test_a_slack_alert_is_in_the_site_language_whoever_triggered_it(fake_slack, settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "ru"
    row = NotificationFactory(channel="slack", recipient="default", payload={"title": "SLA", "ticket_id": 7})

    with translation.override("en"):  # e.g. sent from an English agent's request
        SlackChannel().send(row)

    assert "Открыть заявку #7" in fake_slack.received[0]["text"]
