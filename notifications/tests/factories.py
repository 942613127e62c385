from __future__ import annotations

import factory

from notifications.models import Channel, Notification


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    channel = Channel.EMAIL
    recipient = factory.Sequence(lambda n: f"someone{n}@example.org")
    kind = "test.message"
    payload = factory.LazyFunction(lambda: {"subject": "Hello", "text": "Body", "html": "<p>Body</p>"})
